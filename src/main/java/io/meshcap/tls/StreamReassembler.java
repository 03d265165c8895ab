package io.meshcap.tls;

import java.util.Map;
import java.util.TreeMap;

/**
 * Puts one direction of a TCP connection back into byte order, as the receiving application read it: segments
 * are passed on in sequence order, retransmitted bytes once, and a segment that comes early is held until the bytes
 * before it arrive. Bytes that never arrive (lost by the capture, cut by the snapshot length) end the stream with
 * a gap: what follows a hole cannot be read in order, and a TLS record stream cannot be resumed after one.
 *
 * <p>Memory: in-order bytes are passed on straight from the packet; only early segments are copied, at most
 * {@code maxHeld} bytes of them. More than that held means the missing bytes are not coming.
 */
public final class StreamReassembler {

    /** Where the bytes go, in order. */
    public interface Sink {

        /** The next bytes of the stream, {@code data[from, to)}, complete as of {@code timestampNanos}. */
        void bytes(byte[] data, int from, int to, long timestampNanos);

        /** The stream cannot go on: bytes are missing, for the reason given. Nothing follows. */
        void gap(String reason);
    }

    private static final long SEQUENCE_SPACE = 1L << 32;

    private final int maxHeld;
    private final Sink sink;
    /** The next expected byte as an unwrapped 64-bit position, or -1 before the first SYN or data. */
    private long next = -1;
    /** The wrapped 32-bit sequence number of {@link #next}. */
    private long nextSequence;
    private final TreeMap<Long, byte[]> held = new TreeMap<>();
    private long heldBytes;
    private boolean ended;

    /** @param maxHeld the most bytes of early segments held while waiting for the bytes before them */
    public StreamReassembler(int maxHeld, Sink sink) {
        this.maxHeld = maxHeld;
        this.sink = sink;
    }

    /** The initial sequence number from this direction's SYN: the data starts one after it. */
    public void syn(long sequence) {
        if (next < 0) {
            start((sequence + 1) % SEQUENCE_SPACE);
        }
    }

    /**
     * One segment of this direction.
     *
     * @param sequence       the segment's sequence number
     * @param data           the packet, with the captured payload at {@code [from, to)}
     * @param payloadLength  the payload length the headers announce; more than {@code to - from} when the capture
     *                       cut the packet short
     */
    public void segment(long sequence, byte[] data, int from, int to, int payloadLength, long timestampNanos) {
        if (ended || payloadLength == 0) {
            return;
        }
        if (next < 0) {
            // A capture that starts mid-connection: the stream starts with the first bytes seen.
            start(sequence);
        }
        long position = next + (int) (sequence - nextSequence);
        if (position + payloadLength <= next) {
            return;
        }
        if (to - from < payloadLength) {
            end("a packet was cut short by the capture's snapshot length (" + (to - from) + " of " + payloadLength
                    + " bytes captured)");
            return;
        }
        if (position > next) {
            hold(position, data, from, to);
            return;
        }
        int skip = (int) (next - position);
        advance(data, from + skip, to, timestampNanos);
        release(timestampNanos);
    }

    /** At the end of the capture: bytes still held wait for bytes that never came. */
    public void finish() {
        if (!ended && !held.isEmpty()) {
            end(missing());
        }
    }

    private void start(long sequence) {
        next = 0;
        nextSequence = sequence;
    }

    private void advance(byte[] data, int from, int to, long timestampNanos) {
        next += to - from;
        nextSequence = (nextSequence + (to - from)) % SEQUENCE_SPACE;
        sink.bytes(data, from, to, timestampNanos);
    }

    private void hold(long position, byte[] data, int from, int to) {
        byte[] earlier = held.get(position);
        if (earlier != null && earlier.length >= to - from) {
            return;
        }
        byte[] copy = new byte[to - from];
        System.arraycopy(data, from, copy, 0, copy.length);
        held.put(position, copy);
        heldBytes += copy.length - (earlier == null ? 0 : earlier.length);
        if (heldBytes > maxHeld) {
            end(missing());
        }
    }

    /** Passes on held segments that the stream has now reached. */
    private void release(long timestampNanos) {
        while (!ended && !held.isEmpty() && held.firstKey() <= next) {
            Map.Entry<Long, byte[]> first = held.pollFirstEntry();
            byte[] bytes = first.getValue();
            heldBytes -= bytes.length;
            long skip = next - first.getKey();
            if (skip < bytes.length) {
                advance(bytes, (int) skip, bytes.length, timestampNanos);
            }
        }
    }

    private String missing() {
        return (held.firstKey() - next) + " bytes after byte " + next + " were never captured";
    }

    private void end(String reason) {
        ended = true;
        held.clear();
        heldBytes = 0;
        sink.gap(reason);
    }
}
