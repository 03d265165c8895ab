package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.LoopbackCapture;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Files written by tcpdump, editcap and tshark, and hand-built files in both byte orders, read by meshcap
 * exactly as tshark reads them.
 */
class ReaderCompatibilityTest {

    private static final int PACKETS = 12;
    private static final int SNAPLEN = 200;

    @TempDir
    static Path dir;
    private static Path micros;
    private static Path nanos;

    /** Two real loopback captures, with datagrams larger than the snaplen so some packets are cut. */
    @BeforeAll
    static void capture() throws Exception {
        micros = dir.resolve("micros.pcap");
        nanos = dir.resolve("nanos.pcap");
        try (LoopbackCapture a = LoopbackCapture.udp(micros, PACKETS, "-s", Integer.toString(SNAPLEN));
             LoopbackCapture b = LoopbackCapture.udp(nanos, PACKETS, "--time-stamp-precision", "nano")) {
            for (int i = 0; i < PACKETS; i++) {
                LoopbackCapture.send(a.port(), 1 + i * 97);
                LoopbackCapture.send(b.port(), 1 + i * 97);
            }
        }
    }

    @Test
    void tcpdumpMicrosecondPcapWithSnaplen() {
        ReadBack.assertSameAsTshark(micros);
        List<CaptureRecord> records = ReadBack.readAll(micros);
        assertEquals(Tshark.count(micros), records.size());
        assertTrue(records.stream().anyMatch(r -> r.originalLength() > r.capturedLength()), "some packets cut");
        assertEquals(new CaptureInterface(LinkType.EN10MB, SNAPLEN, null, null), ReadBack.interfaces(micros).get(0));
    }

    @Test
    void tcpdumpNanosecondPcap() {
        ReadBack.assertSameAsTshark(nanos);
        assertTrue(ReadBack.readAll(nanos).stream().anyMatch(r -> r.timestampNanos() % 1000 != 0),
                "nanosecond digits survive");
    }

    @Test
    void editcapPcapngWithCommentsHoldsTheSamePackets() {
        Path pcapng = dir.resolve("commented.pcapng");
        Tshark.run("editcap", "-F", "pcapng", "-a", "1:first comment", "-a", "3:third, ünïcode",
                nanos.toString(), pcapng.toString());
        ReadBack.assertSameAsTshark(pcapng);
        List<CaptureRecord> original = ReadBack.readAll(nanos);
        List<CaptureRecord> converted = ReadBack.readAll(pcapng);
        for (int i = 0; i < original.size(); i++) {
            assertEquals(original.get(i).timestampNanos(), converted.get(i).timestampNanos());
            assertArrayEquals(original.get(i).data(), converted.get(i).data());
        }
        assertEquals("first comment", ReadBack.comment(converted.get(0)));
        assertEquals("third, ünïcode", ReadBack.comment(converted.get(2)));
    }

    @Test
    void tsharkPcapngAndMultipleSections() throws IOException {
        Path a = dir.resolve("a.pcapng");
        Path b = dir.resolve("b.pcapng");
        Tshark.run("tshark", "-r", micros.toString(), "-F", "pcapng", "-w", a.toString());
        Tshark.run("tshark", "-r", nanos.toString(), "-F", "pcapng", "-w", b.toString());
        ReadBack.assertSameAsTshark(a);
        // Concatenated pcapng files are one valid file with two sections.
        Path both = dir.resolve("sections.pcapng");
        Files.write(both, new BlockBuilder(ByteOrder.LITTLE_ENDIAN)
                .raw(Files.readAllBytes(a)).raw(Files.readAllBytes(b)).toByteArray());
        ReadBack.assertSameAsTshark(both);
        List<CaptureRecord> records = ReadBack.readAll(both);
        int first = Tshark.count(micros);
        assertEquals(first + Tshark.count(nanos), records.size());
        assertEquals(0, records.get(0).interfaceId());
        assertEquals(1, records.get(first).interfaceId());
        assertEquals(2, ReadBack.interfaces(both).size());
    }

    @ParameterizedTest
    @EnumSource(Endian.class)
    void handBuiltPcapInBothByteOrdersAndPrecisions(Endian endian) throws IOException {
        for (boolean nanosecond : new boolean[] {false, true}) {
            BlockBuilder file = new BlockBuilder(endian.order).pcapHeader(nanosecond, 65535, LinkType.RAW);
            file.pcapRecord(1_795_333_790L, nanosecond ? 999_999_999 : 999_999, 60, ipv4(20));
            file.pcapRecord(1_795_333_791L, 1, 1500, ipv4(40));
            Path path = dir.resolve("hand-" + endian + nanosecond + ".pcap");
            Files.write(path, file.toByteArray());
            ReadBack.assertSameAsTshark(path);
            assertEquals(LinkType.RAW, ReadBack.interfaces(path).get(0).linkType());
        }
    }

    /**
     * Every pcapng feature the writer never uses: both byte orders, several link types, if_tsresol in base 10
     * and base 2, if_tsoffset, Simple and obsolete Packet Blocks, several comments on one packet.
     */
    @ParameterizedTest
    @EnumSource(Endian.class)
    void handBuiltPcapngWithEveryPacketBlockKind(Endian endian) throws IOException {
        Path path = dir.resolve("hand-" + endian + ".pcapng");
        Files.write(path, handBuiltPcapng(endian.order, false));
        ReadBack.assertSameAsTshark(path);
        List<CaptureInterface> interfaces = ReadBack.interfaces(path);
        assertEquals(List.of(LinkType.EN10MB, LinkType.RAW, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL),
                interfaces.stream().map(CaptureInterface::linkType).toList());
        assertEquals("first", interfaces.get(0).description());
        List<CaptureRecord> records = ReadBack.readAll(path);
        assertEquals(96, records.get(0).capturedLength(), "SPB cut to the snaplen");
        assertEquals(1_795_333_790_123_000_000L, records.get(1).timestampNanos());
        assertEquals(List.of("one", "two"), records.get(1).comments(), "two comments stay two");
        assertEquals(1_795_333_890_000_000_001L, records.get(3).timestampNanos(), "if_tsoffset of 100 s");
    }

    /**
     * Name resolution, statistics, secrets and custom blocks carry no packets and are skipped. (Wireshark
     * lists custom blocks as frames of their own, so this is checked against the same file without them.)
     */
    @Test
    void blocksWithoutPacketsAreSkipped() throws IOException {
        Path plain = dir.resolve("plain.pcapng");
        Path extra = dir.resolve("extra.pcapng");
        Files.write(plain, handBuiltPcapng(ByteOrder.LITTLE_ENDIAN, false));
        Files.write(extra, handBuiltPcapng(ByteOrder.LITTLE_ENDIAN, true));
        List<CaptureRecord> expected = ReadBack.readAll(plain);
        List<CaptureRecord> actual = ReadBack.readAll(extra);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            WriterRoundTripTest.assertSameRecord(expected.get(i), actual.get(i));
        }
        assertEquals(expected.size() + 1, Tshark.frames(extra).size(), "tshark reads it all, custom block as a frame");
    }

    private static byte[] handBuiltPcapng(ByteOrder order, boolean extraBlocks) {
        BlockBuilder b = new BlockBuilder(order);
        b.shb(b.option(4, "hand-built"))
                .idb(LinkType.EN10MB, 96, b.option(2, "eth0"), b.option(3, "first"))
                .spb(200, ethernet(96))
                .idb(LinkType.RAW, 0, b.option(2, "raw-millis"), b.option(9, new byte[] {3}))
                .idb(LinkType.LINUX_SLL, 0, b.option(2, "sll-binary"), b.option(9, new byte[] {(byte) 0x94}))
                .idb(LinkType.LINUX_SLL2, 0, b.option(2, "sll2-offset"), b.option(9, new byte[] {9}),
                        b.longOption(14, 100))
                .idb(LinkType.NULL, 0, b.option(2, "loopback-null"))
                .epb(1, 1_795_333_790_123L, 40, ipv4(40), b.option(1, "one"), b.option(1, "two"));
        if (extraBlocks) {
            b.block(4, new byte[] {0, 0, 0, 0}) // name resolution: only the end-of-records marker
                    .block(0x0a, new byte[] {0x4b, 0x53, 0x4c, 0x54, 4, 0, 0, 0, 'k', 'e', 'y', 's'}) // secrets
                    .block(0x00000bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}); // custom: enterprise number, data
        }
        b.epb(2, (1_795_333_790L << 20) + 12345, 60, new byte[60])
                .epb(3, 1_795_333_790_000_000_001L, 61, new byte[61], b.option(1, "sll2"))
                .pb(4, 1_795_333_790_000_002L, 44, new byte[] {2, 0, 0, 0, 0x45});
        if (extraBlocks) {
            b.block(5, new byte[12]); // interface statistics without options
        }
        return b.epb(0, 1_795_333_790_000_003L, 200, ethernet(90)).toByteArray();
    }

    enum Endian {
        LITTLE(ByteOrder.LITTLE_ENDIAN), BIG(ByteOrder.BIG_ENDIAN);

        final ByteOrder order;

        Endian(ByteOrder order) {
            this.order = order;
        }
    }

    private static byte[] ipv4(int length) {
        byte[] packet = new byte[length];
        packet[0] = 0x45;
        packet[3] = (byte) length;
        packet[9] = 17;
        return packet;
    }

    private static byte[] ethernet(int length) {
        byte[] frame = new byte[length];
        frame[12] = 0x08;
        System.arraycopy(ipv4(length - 14), 0, frame, 14, length - 14);
        return frame;
    }
}
