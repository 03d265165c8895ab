package io.meshcap.plan;

import io.meshcap.MeshcapException;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Compiles BPF expressions with the system's libpcap, so every filter meshcap uses or passes on has been
 * accepted by the same compiler tcpdump uses, and a rejected one is reported in libpcap's own words.
 */
public final class BpfCompiler {

    private static final int SNAPLEN = 262144;

    private BpfCompiler() {
    }

    /**
     * Checks that libpcap compiles {@code expression} for Ethernet (what Linux uses for eth0 and lo).
     *
     * @param what names the expression in the error, e.g. {@code "--extra-filter"}
     * @throws MeshcapException (usage) carrying libpcap's message
     */
    public static void check(String expression, String what) {
        try (CompiledFilter ignored = compile(expression, DataLinkType.EN10MB.value(), what)) {
            // Compiling is the check.
        }
    }

    /** Whether this machine's libpcap can be loaded. */
    public static boolean available() {
        try {
            openDead(DataLinkType.EN10MB.value()).close();
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
        PcapHandle dead = openDead(linkType);
        try {
            BpfProgram program = dead.compileFilter(expression, BpfProgram.BpfCompileMode.OPTIMIZE,
                    PcapHandle.PCAP_NETMASK_UNKNOWN);
            return new CompiledFilter(expression, program);
        } catch (PcapNativeException e) {
            throw MeshcapException.usage(what + ": libpcap rejects the filter: " + e.getMessage()
                    + System.lineSeparator() + "  filter: " + expression);
        } catch (NotOpenException e) {
            throw new IllegalStateException("a dead pcap handle closed while in use", e);
        } finally {
            dead.close();
        }
    }

    private static PcapHandle openDead(int linkType) {
        try {
            return Pcaps.openDead(DataLinkType.getInstance(linkType), SNAPLEN);
        } catch (PcapNativeException e) {
            throw MeshcapException.failure("libpcap cannot open a handle for link type " + linkType + ": " + e.getMessage());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JNA's message lists every path it tried, over several lines: --stacktrace shows it.
            throw MeshcapException.failure("libpcap is not installed or cannot be loaded; install it with: "
                    + "apt-get install -y libpcap0.8", e);
        }
    }

    /** A compiled filter that can test packets offline; free it with {@link #close()}. */
    public static final class CompiledFilter implements AutoCloseable {

        private final String expression;
        private final BpfProgram program;

        private CompiledFilter(String expression, BpfProgram program) {
            this.expression = expression;
            this.program = program;
        }

        public String expression() {
            return expression;
        }

        /** Whether the filter accepts this packet (bytes from the link-layer header on). */
        public boolean matches(byte[] packet) {
            return program.applyFilter(packet);
        }

        @Override
        public void close() {
            program.free();
        }
    }
}
