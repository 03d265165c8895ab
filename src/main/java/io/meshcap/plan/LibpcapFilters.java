package io.meshcap.plan;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The libpcap functions that compile a BPF expression and test packets against it, bound directly (JNA direct
 * mapping). pcap4j binds every libpcap function and builds its own objects around them on first use, which was a
 * tenth of a {@code meshcap filter} run (docs/benchmarks.md, start-up); compiling needs these six.
 */
final class LibpcapFilters {

    /** The library pcap4j loads (the same property chooses it): the capture engine and the filters use one libpcap. */
    private static final String LIBRARY = System.getProperty("org.pcap4j.core.pcapLibName", "pcap");

    /** {@code PCAP_NETMASK_UNKNOWN}: no netmask, which only the {@code broadcast} primitive would need. */
    static final int NETMASK_UNKNOWN = 0xffffffff;
    static final int OPTIMIZE = 1;
    /** {@code struct bpf_program}: an unsigned int, then a pointer (aligned to a pointer). */
    static final int PROGRAM_SIZE = 2 * Native.POINTER_SIZE;
    /** {@code struct pcap_pkthdr}: a {@code struct timeval} of two C longs, the captured length, the wire length. */
    static final int HEADER_SIZE = 2 * Native.LONG_SIZE + 2 * Integer.BYTES;
    static final int CAPTURED_LENGTH_OFFSET = 2 * Native.LONG_SIZE;
    static final int ORIGINAL_LENGTH_OFFSET = CAPTURED_LENGTH_OFFSET + Integer.BYTES;

    static {
        Native.register(LibpcapFilters.class, NativeLibrary.getInstance(LIBRARY));
    }

    private LibpcapFilters() {
    }

    /** A handle that captures nothing, for compiling filters for {@code linkType}; null if libpcap refuses. */
    static native Pointer pcap_open_dead(int linkType, int snapLength);

    /** Compiles {@code expression} into {@code program}; 0, or -1 with the handle's error text saying why. */
    static native int pcap_compile(Pointer pcap, Pointer program, String expression, int optimize, int netmask);

    static native String pcap_geterr(Pointer pcap);

    static native void pcap_freecode(Pointer program);

    static native void pcap_close(Pointer pcap);

    /** Non-zero when {@code program} accepts the packet that {@code header} describes. */
    static native int pcap_offline_filter(Pointer program, Pointer header, byte[] packet);
}
