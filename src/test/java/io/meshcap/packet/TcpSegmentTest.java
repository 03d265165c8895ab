package io.meshcap.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.LinkType;
import io.meshcap.reassoc.FlowEndpoint;
import io.meshcap.reassoc.Packets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TcpSegmentTest {

    private static final FlowEndpoint APP = Packets.ep("198.18.0.2", 40000);
    private static final FlowEndpoint REDIRECTED = Packets.ep("127.0.0.1", 15001);
    private static final FlowEndpoint ORIG = Packets.ep("198.18.0.1", 8080);

    @Test
    void readsTheFieldsOfAnIpv4Segment() {
        byte[] packet = Packets.ip(APP, REDIRECTED, Packets.PSH_ACK, 0xfffffff0L, 7, Packets.text("hello"));
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        assertEquals(40000, segment.tcp().sourcePort());
        assertEquals(15001, segment.tcp().destinationPort());
        assertEquals(0xfffffff0L, segment.tcp().sequence());
        assertEquals(7, segment.tcp().acknowledgement());
        assertEquals(20, segment.tcp().headerLength());
        assertEquals(5, segment.payloadLength());
        assertEquals(5, segment.payloadTo() - segment.payloadFrom());
        assertArrayEquals(APP.address(), segment.ip().source());
        assertTrue(segment.whole());
    }

    @Test
    void rewritingTheDestinationKeepsBothChecksumsValid() {
        byte[] packet = Packets.ip(APP, REDIRECTED, Packets.PSH_ACK, 1, 1, Packets.text("odd length payload!"));
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        assertEquals(TcpSegment.ChecksumUpdate.RECOMPUTED, segment.rewrite(APP.port(), ORIG.address(), ORIG.port()));
        assertArrayEquals(ORIG.address(), segment.ip().destination());
        assertEquals(8080, segment.tcp().destinationPort());
        assertTrue(segment.checksumValid());
        assertEquals(0xffff, fold(Checksums.sum(packet, 0, 20)), "the IPv4 header sums to all ones");
    }

    @Test
    void rewritingTheSourcePortTooKeepsTheChecksumValid() {
        byte[] packet = Packets.ip(APP, REDIRECTED, Packets.SYN, 1, 0);
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        segment.rewrite(9908, ORIG.address(), ORIG.port());
        assertEquals(9908, segment.tcp().sourcePort());
        assertTrue(segment.checksumValid());
    }

    @Test
    void ipv6SegmentsUseThePseudoHeaderOfTheirAddresses() {
        FlowEndpoint app = Packets.ep("2001:2::2", 40000);
        FlowEndpoint orig = Packets.ep("2001:2::1", 8080);
        byte[] packet = Packets.ip(app, Packets.ep("::1", 15001), Packets.ACK, 1, 1, Packets.text("x"));
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        segment.rewrite(app.port(), orig.address(), orig.port());
        assertTrue(segment.checksumValid());
        assertArrayEquals(orig.address(), segment.ip().destination());
    }

    @Test
    void ipv6ExtensionHeadersAreNotWalked() {
        byte[] packet = Packets.ip(Packets.ep("2001:2::2", 1), Packets.ep("::1", 2), Packets.ACK, 1, 1);
        packet[6] = 0; // next header: hop-by-hop options
        assertNull(TcpSegment.parse(LinkType.RAW, packet));
    }

    @Test
    void nonFirstFragmentsAndNonTcpAreNotSegments() {
        byte[] fragment = Packets.ip(APP, ORIG, Packets.ACK, 1, 1);
        fragment[7] = 8; // fragment offset 64 bytes
        assertNull(TcpSegment.parse(LinkType.RAW, fragment));
        byte[] udp = Packets.ip(APP, ORIG, Packets.ACK, 1, 1);
        udp[9] = 17;
        assertNull(TcpSegment.parse(LinkType.RAW, udp));
        assertNull(TcpSegment.parse(LinkType.RAW, Arrays.copyOf(Packets.ip(APP, ORIG, Packets.ACK, 1, 1), 30)),
                "a TCP header cut short");
    }

    @Test
    void aTruncatedSegmentIsAdjustedNotRecomputed() {
        byte[] whole = Packets.ip(APP, REDIRECTED, Packets.ACK, 1, 1, new byte[100]);
        TcpSegment original = TcpSegment.parse(LinkType.RAW, whole);
        original.tcp().setChecksum(original.tcp().computeChecksum(original.ip(), original.ip().transportLength()));
        byte[] cut = Arrays.copyOf(whole, 60);
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, cut);
        int sourcePort = APP.port() + 1;
        assertEquals(TcpSegment.ChecksumUpdate.ADJUSTED, segment.rewrite(sourcePort, ORIG.address(), ORIG.port()));
        TcpSegment.parse(LinkType.RAW, whole).rewrite(sourcePort, ORIG.address(), ORIG.port());
        assertEquals(TcpSegment.parse(LinkType.RAW, whole).tcp().checksum(), segment.tcp().checksum(),
                "the source port is adjusted for too");
        assertEquals(sourcePort, segment.tcp().sourcePort());
    }

    @Test
    void aFinishedChecksumIsUpdatedToWhatAFullComputationGives() {
        byte[] packet = finished(Packets.ip(APP, REDIRECTED, Packets.PSH_ACK, 1, 1, Packets.text("odd length payload!")));
        byte[] recomputed = packet.clone();
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        assertEquals(TcpSegment.ChecksumUpdate.UPDATED, segment.rewrite(9908, ORIG.address(), ORIG.port()));
        assertTrue(segment.checksumValid());
        TcpSegment full = TcpSegment.parse(LinkType.RAW, recomputed);
        full.tcp().setChecksum(0);
        assertEquals(TcpSegment.ChecksumUpdate.RECOMPUTED, full.rewrite(9908, ORIG.address(), ORIG.port()));
        assertArrayEquals(recomputed, packet);
    }

    @Test
    void anUpdateThatEndsAtZeroWritesZeroAsAFullComputationDoes() {
        byte[] packet = Packets.ip(APP, REDIRECTED, Packets.ACK, 1, 1, new byte[2]);
        int payload = packet.length - 2;
        // Make the rewritten packet's words sum to 0xffff, whose checksum is 0x0000 (never 0xffff when computed).
        byte[] probe = packet.clone();
        TcpSegment.parse(LinkType.RAW, probe).rewrite(APP.port(), ORIG.address(), ORIG.port());
        int toZero = TcpSegment.parse(LinkType.RAW, probe).tcp().checksum();
        packet[payload] = (byte) (toZero >>> 8);
        packet[payload + 1] = (byte) toZero;
        finished(packet);
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        assertEquals(TcpSegment.ChecksumUpdate.UPDATED, segment.rewrite(APP.port(), ORIG.address(), ORIG.port()));
        assertEquals(0x0000, segment.tcp().checksum());
        assertTrue(segment.checksumValid());
    }

    @Test
    void aChecksumOfZeroIsComputedAfreshAndComesOutRight() {
        byte[] packet = Packets.ip(APP, REDIRECTED, Packets.ACK, 1, 1, new byte[2]);
        int payload = packet.length - 2;
        // A finished checksum of 0x0000 looks like one never filled in: recomputing it is right either way.
        int toZero = TcpSegment.parse(LinkType.RAW, finished(packet.clone())).tcp().checksum();
        packet[payload] = (byte) (toZero >>> 8);
        packet[payload + 1] = (byte) toZero;
        assertEquals(0x0000, TcpSegment.parse(LinkType.RAW, finished(packet)).tcp().checksum());
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        assertEquals(TcpSegment.ChecksumUpdate.RECOMPUTED, segment.rewrite(APP.port(), ORIG.address(), ORIG.port()));
        assertTrue(segment.checksumValid());
    }

    @Test
    void aWrongFinishedChecksumStaysWrong() {
        byte[] packet = finished(Packets.ip(APP, REDIRECTED, Packets.ACK, 1, 1, Packets.text("x")));
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        segment.tcp().setChecksum(segment.tcp().checksum() ^ 0x0100);
        assertEquals(TcpSegment.ChecksumUpdate.UPDATED, segment.rewrite(APP.port(), ORIG.address(), ORIG.port()));
        assertFalse(segment.checksumValid(), "a capture's damaged packet is not made to look whole");
    }

    /** The packet with its TCP checksum computed, as a sender that computes it (no offload) leaves it. */
    /**
     * One segment re-pointed at packet after packet of one buffer, as a reader's buffer holds them: each TCP packet
     * reads as its own, whatever came before it (IPv6 after IPv4, a header with options, packets that are no segment or
     * whose captured length is shorter than their headers, a segment cut by the snap length).
     */
    @Test
    void oneSegmentReparsedPacketAfterPacketReadsEachAsItsOwn() {
        FlowEndpoint app6 = Packets.ep("2001:2::2", 40001);
        byte[] ipv4 = Packets.link(LinkType.EN10MB, Packets.ip(APP, REDIRECTED, Packets.PSH_ACK, 11, 12,
                Packets.text("four")));
        byte[] ipv6 = Packets.link(LinkType.EN10MB, Packets.ip(app6, Packets.ep("::1", 15006), Packets.SYN, 21, 0));
        byte[] udp = ipv4.clone();
        udp[14 + 9] = 17;
        byte[] withOptions = Packets.link(LinkType.EN10MB, ipv4Options(Packets.ip(ORIG, APP, Packets.ACK, 31, 32,
                Packets.text("sixteen bytes!!!"))));
        byte[][] frames = {ipv4, udp, ipv6, Arrays.copyOf(ipv4, 14 + 19), withOptions,
            Arrays.copyOf(ipv6, 14 + 40 + 19), Arrays.copyOf(withOptions, 14 + 24 + 20 + 5)};
        byte[] buffer = new byte[Arrays.stream(frames).mapToInt(frame -> frame.length + 3).sum()];
        int[] offsets = new int[frames.length];
        for (int i = 0, at = 3; i < frames.length; at += frames[i].length + 3, i++) {
            offsets[i] = at;
            System.arraycopy(frames[i], 0, buffer, at, frames[i].length);
        }
        TcpSegment segment = TcpSegment.reusable();
        TcpSegment[] parsed = new TcpSegment[frames.length];
        for (int i = 0; i < frames.length; i++) {
            parsed[i] = segment.reparse(LinkType.EN10MB, buffer, offsets[i], offsets[i] + frames[i].length);
            switch (i) {
                case 0 -> assertSegment(parsed[i], 40000, 15001, 11, 4, offsets[i] + 14 + 40, true);
                case 2 -> {
                    assertSegment(parsed[i], 40001, 15006, 21, 0, offsets[i] + 14 + 60, true);
                    assertArrayEquals(app6.address(), parsed[i].ip().source());
                }
                case 4 -> {
                    assertSegment(parsed[i], 8080, 40000, 31, 16, offsets[i] + 14 + 44, true);
                    assertArrayEquals(ORIG.address(), parsed[i].ip().source());
                    assertArrayEquals(APP.address(), parsed[i].ip().destination());
                }
                case 6 -> {
                    assertSegment(parsed[i], 8080, 40000, 31, 16, offsets[i] + 14 + 44, false);
                    assertEquals(5, parsed[i].payloadTo() - parsed[i].payloadFrom(), "cut by the snap length");
                }
                default -> assertNull(parsed[i], "not a whole TCP header: frame " + i);
            }
            if (parsed[i] != null) {
                assertSame(segment, parsed[i]);
            }
        }
    }

    /** {@code ipv4} with a 4-byte IP option (the header 24 bytes long), its lengths and header checksum made right. */
    private static byte[] ipv4Options(byte[] ipv4) {
        byte[] longer = new byte[ipv4.length + 4];
        System.arraycopy(ipv4, 0, longer, 0, 20);
        longer[20] = 1; // four no-operation options
        longer[21] = 1;
        longer[22] = 1;
        longer[23] = 1;
        System.arraycopy(ipv4, 20, longer, 24, ipv4.length - 20);
        longer[0] = 0x46;
        longer[3] = (byte) longer.length;
        longer[10] = 0;
        longer[11] = 0;
        int checksum = Checksums.finish(Checksums.sum(longer, 0, 24));
        longer[10] = (byte) (checksum >>> 8);
        longer[11] = (byte) checksum;
        return longer;
    }

    private static void assertSegment(TcpSegment segment, int sourcePort, int destinationPort, long sequence,
                                      int payloadLength, int payloadFrom, boolean whole) {
        assertEquals(sourcePort, segment.tcp().sourcePort());
        assertEquals(destinationPort, segment.tcp().destinationPort());
        assertEquals(sequence, segment.tcp().sequence());
        assertEquals(payloadLength, segment.payloadLength());
        assertEquals(payloadFrom, segment.payloadFrom());
        assertEquals(whole, segment.whole());
    }

    private static byte[] finished(byte[] packet) {
        TcpSegment segment = TcpSegment.parse(LinkType.RAW, packet);
        segment.tcp().setChecksum(segment.tcp().computeChecksum(segment.ip(), segment.ip().transportLength()));
        return packet;
    }

    private static int fold(long sum) {
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }
}
