package io.meshcap.capture.local;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.reflect.Field;
import org.pcap4j.core.PcapHandle;

/**
 * libpcap's {@code pcap_dispatch}, bound directly (JNA direct mapping) for the in-JVM engine: one native call hands
 * over every packet waiting in the kernel ring, up to a batch, each through a callback that copies it into the leg's
 * write buffer. pcap4j's own reading path costs three reflective native calls, a {@code Timestamp} and, on an empty
 * ring, an exception per call (about 12 k packets/s on lo; docs/benchmarks.md). pcap4j still opens, configures,
 * filters, counts and closes the handle.
 */
final class LibpcapDispatch {

    /** The library pcap4j loads (the same property chooses it), so both use one libpcap. */
    private static final String LIBRARY = System.getProperty("org.pcap4j.core.pcapLibName", "pcap");

    static {
        Native.register(LibpcapDispatch.class, NativeLibrary.getInstance(LIBRARY));
    }

    private LibpcapDispatch() {
    }

    /** Called by libpcap for each packet: {@code user} as given, a {@code struct pcap_pkthdr *} and the bytes. */
    interface PacketHandler extends Callback {
        void callback(Pointer user, Pointer header, Pointer bytes);
    }

    /**
     * Processes up to {@code count} waiting packets ({@code -1}: all in the current buffer); on a non-blocking handle
     * returns 0 at once when none waits.
     *
     * @return the packets processed, or -1 on an error (the handle's error text says which), -2 after a break
     */
    static native int pcap_dispatch(Pointer pcap, int count, PacketHandler handler, Pointer user);

    /** The {@code pcap_t *} an open pcap4j handle wraps (pcap4j 1.8 keeps it in a private field). */
    static Pointer pointerOf(PcapHandle handle) {
        try {
            Field field = PcapHandle.class.getDeclaredField("handle");
            field.setAccessible(true);
            return (Pointer) field.get(handle);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this pcap4j keeps its pcap_t elsewhere; pom.xml pins the version"
                    + " meshcap reads it from", e);
        }
    }
}
