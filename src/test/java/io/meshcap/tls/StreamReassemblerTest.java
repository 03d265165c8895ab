package io.meshcap.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The edges real captures rarely show: sequence numbers wrapping past 2^32, more held than the bound, a packet cut
 * by the snapshot length. (Reordering and retransmissions on real captures: {@link TlsSessionTest}.)
 */
class StreamReassemblerTest {

    private final ByteArrayOutputStream stream = new ByteArrayOutputStream();
    private String gap;
    private final StreamReassembler.Sink sink = new StreamReassembler.Sink() {
        @Override
        public void bytes(byte[] data, int from, int to, long timestampNanos) {
            stream.write(data, from, to - from);
        }

        @Override
        public void gap(String reason) {
            gap = reason;
        }
    };

    @Test
    void sequenceNumbersWrapAround() {
        StreamReassembler reassembler = new StreamReassembler(1024, sink);
        reassembler.syn(0xffff_fffaL);
        // "hello " ends at 2^32; "world" starts at 1 after the wrap and arrives first.
        segment(reassembler, 1, "world");
        segment(reassembler, 0xffff_fffbL, "hello ");
        segment(reassembler, 0xffff_fffbL, "hello ");
        reassembler.finish();
        assertEquals("hello world", stream.toString(StandardCharsets.US_ASCII));
        assertNull(gap);
    }

    @Test
    void moreHeldThanTheBoundIsAGap() {
        StreamReassembler reassembler = new StreamReassembler(8, sink);
        reassembler.syn(100);
        segment(reassembler, 101, "abc");
        segment(reassembler, 110, "held");
        segment(reassembler, 120, "too much");
        segment(reassembler, 104, "defghi");
        assertEquals("abc", stream.toString(StandardCharsets.US_ASCII));
        assertEquals("6 bytes after byte 3 were never captured", gap);
    }

    @Test
    void aPacketCutByTheSnapshotLengthIsAGap() {
        StreamReassembler reassembler = new StreamReassembler(1024, sink);
        reassembler.syn(0);
        byte[] data = "abcdef".getBytes(StandardCharsets.US_ASCII);
        reassembler.segment(1, data, 0, 4, 6, 0);
        assertEquals("", stream.toString(StandardCharsets.US_ASCII));
        assertEquals("a packet was cut short by the capture's snapshot length (4 of 6 bytes captured)", gap);
    }

    private static void segment(StreamReassembler reassembler, long sequence, String text) {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        reassembler.segment(sequence, data, 0, data.length, data.length, 0);
    }
}
