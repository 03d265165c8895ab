package io.meshcap.plan;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.meshcap.MeshcapException;
import io.meshcap.format.LinkType;

/**
 * Compiles BPF expressions with the system's libpcap, so every filter meshcap uses or passes on has been
 * accepted by the same compiler tcpdump uses, and a rejected one is reported in libpcap's own words.
 */
public final class BpfCompiler {

    private static final int SNAPLEN = 262144;
    /** libpcap's compiler kept global state before 1.8; older ones may still be installed. */
    private static final Object COMPILE_LOCK = new Object();

    private BpfCompiler() {
    }

    /**
     * Checks that libpcap compiles {@code expression} for Ethernet (what Linux uses for eth0 and lo).
     *
     * @param what names the expression in the error, e.g. {@code "--extra-filter"}
     * @throws MeshcapException (usage) carrying libpcap's message
     */
    public static void check(String expression, String what) {
        try (CompiledFilter ignored = compile(expression, LinkType.EN10MB, what)) {
            // Compiling is the check.
        }
    }

    /** Whether this machine's libpcap can be loaded. */
    public static boolean available() {
        try {
            LibpcapFilters.pcap_close(openDead(LinkType.EN10MB));
            return true;
        } catch (MeshcapException e) {
            return false;
        }
    }

    /**
     * Compiles {@code expression} for the given link type.
     *
     * @throws MeshcapException (usage) carrying libpcap's message
     */
    public static CompiledFilter compile(String expression, int linkType, String what) {
        Pointer dead = openDead(linkType);
        try {
            Memory program = new Memory(LibpcapFilters.PROGRAM_SIZE);
            program.clear();
            int result;
            synchronized (COMPILE_LOCK) {
                result = LibpcapFilters.pcap_compile(dead, program, expression, LibpcapFilters.OPTIMIZE,
                        LibpcapFilters.NETMASK_UNKNOWN);
            }
            if (result != 0) {
                throw MeshcapException.usage(what + ": libpcap rejects the filter: " + LibpcapFilters.pcap_geterr(dead)
                        + System.lineSeparator() + "  filter: " + expression);
            }
            return new CompiledFilter(expression, program);
        } finally {
            LibpcapFilters.pcap_close(dead);
        }
    }

    private static Pointer openDead(int linkType) {
        Pointer dead;
        try {
            dead = LibpcapFilters.pcap_open_dead(linkType, SNAPLEN);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JNA's message lists every path it tried, over several lines: --stacktrace shows it.
            throw MeshcapException.failure("libpcap is not installed or cannot be loaded; install it with: "
                    + "apt-get install -y libpcap0.8", e);
        }
        if (dead == null) {
            throw MeshcapException.failure("libpcap cannot open a handle for link type " + linkType);
        }
        return dead;
    }

    /** A compiled filter that can test packets offline; free it with {@link #close()}. */
    public static final class CompiledFilter implements AutoCloseable {

        private final String expression;
        private final Memory program;
        private final Memory header = new Memory(LibpcapFilters.HEADER_SIZE);

        private CompiledFilter(String expression, Memory program) {
            this.expression = expression;
            this.program = program;
            header.clear();
        }

        public String expression() {
            return expression;
        }

        /** Whether the filter accepts this packet (bytes from the link-layer header on). */
        public synchronized boolean matches(byte[] packet) {
            header.setInt(LibpcapFilters.CAPTURED_LENGTH_OFFSET, packet.length);
            header.setInt(LibpcapFilters.ORIGINAL_LENGTH_OFFSET, packet.length);
            return LibpcapFilters.pcap_offline_filter(program, header, packet) != 0;
        }

        @Override
        public void close() {
            LibpcapFilters.pcap_freecode(program);
        }
    }
}
