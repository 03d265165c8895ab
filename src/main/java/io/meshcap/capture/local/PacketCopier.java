package io.meshcap.capture.local;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;

/**
 * Copies each packet libpcap hands to {@link LibpcapDispatch#pcap_dispatch} into a capture writer. The header is a
 * {@code struct pcap_pkthdr}: a {@code struct timeval} of two C longs (seconds, then the fraction, nanoseconds on a
 * handle opened with nanosecond precision), the captured length and the length on the wire.
 *
 * <p>libpcap calls it on the capturing thread, inside {@code pcap_dispatch}; an exception cannot travel through the
 * native frames, so the first one is kept, later packets of the batch are dropped, and {@link #rethrow()} raises it
 * once the call has returned.
 */
final class PacketCopier implements LibpcapDispatch.PacketHandler {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int FRACTION_OFFSET = Native.LONG_SIZE;
    private static final int CAPTURED_LENGTH_OFFSET = 2 * Native.LONG_SIZE;
    private static final int ORIGINAL_LENGTH_OFFSET = CAPTURED_LENGTH_OFFSET + Integer.BYTES;

    private final CaptureWriter writer;
    private final int interfaceId;
    private RuntimeException failure;
    /** Packets written so far. */
    long packets;

    PacketCopier(CaptureWriter writer, int interfaceId) {
        this.writer = writer;
        this.interfaceId = interfaceId;
    }

    @Override
    public void callback(Pointer user, Pointer header, Pointer bytes) {
        if (failure != null) {
            return;
        }
        try {
            long nanos = cLong(header, 0) * NANOS_PER_SECOND + cLong(header, FRACTION_OFFSET);
            int captured = header.getInt(CAPTURED_LENGTH_OFFSET);
            writer.write(new CaptureRecord(interfaceId, nanos, header.getInt(ORIGINAL_LENGTH_OFFSET),
                    bytes.getByteArray(0, captured)));
            packets++;
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /** Raises what went wrong inside the last batch, if anything did. */
    void rethrow() {
        if (failure != null) {
            throw failure;
        }
    }

    private static long cLong(Pointer pointer, long offset) {
        return Native.LONG_SIZE == Long.BYTES ? pointer.getLong(offset) : pointer.getInt(offset);
    }
}
