package io.meshcap.format;

import static io.meshcap.format.BlockBuilder.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What meshcap carries from a pcapng file into the pcapng it writes, in either byte order: the section's, interfaces'
 * and packets' options of every layout the specification defines (text, 32- and 64-bit numbers, a filter, a verdict,
 * custom options), statistics, secrets, name resolution and custom blocks. The input is built by hand from the
 * specification (draft-ietf-opsawg-pcapng) in little- and big-endian order; tshark and capinfos read the input and
 * meshcap's copy, and both must show the literal values the input was built with. Values have distinct bytes, so a
 * number carried from a big-endian section without its bytes swapped shows.
 */
class CarriedOptionsTest {

    private static final long SECONDS = 1_795_333_790L;
    /** The IANA enterprise number reserved for documentation. */
    private static final int PEN = 32473;
    private static final byte[] KEY_LOG = "CLIENT_RANDOM 00 11\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    /**
     * One interface (microsecond timestamps), a packet with an option of each layout, statistics, a name resolution
     * record for the packet's source, a key log, a copyable and a not-copyable custom block, and a second packet.
     */
    private static byte[] input(ByteOrder order) {
        BlockBuilder b = new BlockBuilder(order);
        b.shb(b.option(2, "rig-7 x86_64"), b.option(3, "Linux 6.1.0"), b.option(4, "someone else's tool"),
                        b.option(1, "section comment"))
                .idb(LinkType.EN10MB, 65535, concat(
                        List.of(b.option(2, "eth0"), b.option(3, "uplink"), b.option(9, new byte[] {6})),
                        interfaceOptions(b, order)).toArray(byte[][]::new))
                .epb(0, SECONDS * 1_000_000L + 250_000, 1514, ethernet(64), packetOptions(b, order).toArray(byte[][]::new))
                .isb(0, SECONDS * 1_000_000L + 500_000,
                        b.timeOption(2, SECONDS * 1_000_000L), // isb_starttime
                        b.timeOption(3, SECONDS * 1_000_000L + 500_000), // isb_endtime
                        b.longOption(4, 0x0000_0102_0304_0506L), // isb_ifrecv
                        b.longOption(5, 12)) // isb_ifdrop
                .block(4, join(b.option(1, join(new byte[] {(byte) 198, 18, 0, 9},
                                "upstream.lab\0".getBytes(StandardCharsets.US_ASCII))), b.option(0, new byte[0])),
                        b.option(2, "dns.lab")) // ns_dnsname
                .dsb(0x544c534b, KEY_LOG)
                .custom(true, PEN, new byte[] {1, 2, 3, 4, 5, 6, 7, 8})
                .custom(false, PEN, new byte[] {9, 9, 9, 9})
                .epb(0, SECONDS * 1_000_000L + 750_000, 64, ethernet(64));
        return b.toByteArray();
    }

    /** The interface's options meshcap carries (all but its name, description and if_tsresol), in input order. */
    private static List<byte[]> interfaceOptions(BlockBuilder b, ByteOrder order) {
        return List.of(
                b.longOption(8, 10_000_000_000L), // if_speed
                b.intOption(10, 0x01020304), // if_tzone
                b.option(11, join(new byte[] {0}, "tcp port 9080".getBytes(StandardCharsets.UTF_8))), // if_filter
                b.option(12, "Linux 6.1.0-18-amd64"), // if_os
                b.option(13, new byte[] {4}), // if_fcslen
                b.option(15, "virtio-net"), // if_hardware
                b.option(2988, join(pen(order), "custom text".getBytes(StandardCharsets.UTF_8))), // custom string
                b.option(19372, join(pen(order), "do not copy".getBytes(StandardCharsets.UTF_8))),
                b.intOption(99, 0x05060708)); // a code the specification does not define
    }

    private static List<byte[]> packetOptions(BlockBuilder b, ByteOrder order) {
        return List.of(
                b.intOption(2, 0x00000001), // epb_flags: inbound
                b.option(3, new byte[] {2, 0x11, 0x22, 0x33, 0x44}), // epb_hash: CRC32
                b.longOption(4, 7), // epb_dropcount
                b.longOption(5, 0x0102030405060708L), // epb_packetid
                b.intOption(6, 3), // epb_queue
                b.option(7, join(new byte[] {2}, longBytes(order, 0x0a0b0c0d0e0f1011L))), // epb_verdict, type 2
                b.option(1, "packet comment"));
    }

    @ParameterizedTest
    @EnumSource(ReaderCompatibilityTest.Endian.class)
    void tsharkAndCapinfosReadTheSameOptionsInMeshcapsCopyAsInTheInput(ReaderCompatibilityTest.Endian endian)
            throws IOException {
        Copied copied = copy(endian);
        Path in = copied.in();
        Path out = copied.out();
        String skipped = copied.skipped();

        assertEquals(in + ": skipped what meshcap does not know or carry: 1 block of a custom type marked not to be"
                + " copied at offset 680" + (endian == ReaderCompatibilityTest.Endian.BIG
                        ? ", 1 option of unknown layout in a big-endian section" : ""), skipped);
        for (Path file : List.of(in, out)) {
            // The second packet's source is named by the name resolution block before it.
            assertEquals(List.of(
                    List.of("198.18.0.9", "3", "0x00000001", "72623859790382856", "723685415333072913", "7",
                            "packet comment", "1795333790.250000000", "1514", "64"),
                    List.of("upstream.lab", "", "", "", "", "", "", "1795333790.750000000", "64", "64")),
                    Tshark.query(file, "eth", List.of("-N", "n"), "ip.src_host", "frame.interface_queue",
                            "frame.packet_flags", "frame.packet_id", "frame.verdict.ebpf_xdp", "frame.drop_count",
                            "frame.comment", "frame.time_epoch", "frame.len", "frame.cap_len"), file.toString());
            List<String> info = Tshark.run("capinfos", file.toString()).lines().map(String::trim).toList();
            for (String line : List.of("Capture hardware:    rig-7 x86_64", "Capture oper-sys:    Linux 6.1.0",
                    "Capture comment:     section comment", "Name = eth0", "Description = uplink",
                    "Hardware = virtio-net", "Speed = 10000000000", "Capture length = 65535", "FCS length = 4",
                    "Filter string = tcp port 9080", "Operating system = Linux 6.1.0-18-amd64",
                    "Number of stat entries = 1", "Number of packets = 2",
                    "Number of resolved IPv4 addresses in file: 1", "Number of decryption secrets in file: 1")) {
                assertTrue(info.contains(line), file + ": capinfos shows no '" + line + "' in " + info);
            }
        }
        assertTrue(Tshark.run("capinfos", out.toString()).contains("Capture application: meshcap test"));
        assertEquals(List.of(List.of("32473", "1", "0102030405060708"), List.of("32473", "0", "09090909")),
                Tshark.fields(in, "frame.cb_pen", "frame.cb_pen", "frame.cb_copy", "data.data"));
        assertEquals(List.of(List.of("32473", "1", "0102030405060708")),
                Tshark.fields(out, "frame.cb_pen", "frame.cb_pen", "frame.cb_copy", "data.data"));
    }

    /**
     * The options tshark does not show (if_tzone, custom options, statistics, the name resolution block's own
     * options), read back from meshcap's little-endian copy byte for byte: each as the specification lays it out
     * little-endian, times in nanoseconds as meshcap writes every time.
     */
    @ParameterizedTest
    @EnumSource(ReaderCompatibilityTest.Endian.class)
    void everyBlockIsCopiedWithItsOptionsInLittleEndianOrder(ReaderCompatibilityTest.Endian endian)
            throws IOException {
        Path out = copy(endian).out();
        BlockBuilder le = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> carried = new ArrayList<>(interfaceOptions(le, ByteOrder.LITTLE_ENDIAN));
        carried.remove(7); // the custom option its author asked not to be copied
        if (endian == ReaderCompatibilityTest.Endian.BIG) {
            carried.remove(7); // an unknown code: its layout, and so its byte order, is unknown
        }
        List<CaptureBlock> blocks = new ArrayList<>();
        try (CaptureReader reader = CaptureFormats.open(out)) {
            for (CaptureBlock block = reader.nextBlock(); block != null; block = reader.nextBlock()) {
                blocks.add(block);
            }
            assertEquals(new SectionInfo(List.of("section comment"), "rig-7 x86_64", "Linux 6.1.0"), reader.section());
            CaptureInterface eth0 = reader.interfaces().get(0);
            assertEquals(new CaptureInterface(LinkType.EN10MB, 65535, "eth0", "uplink",
                    RawOptions.ofEncoded(join(carried.toArray(byte[][]::new)))), eth0);
        }
        assertEquals(6, blocks.size(), blocks::toString);
        CaptureRecord first = assertInstanceOf(CaptureRecord.class, blocks.get(0));
        assertArrayEquals(join(packetOptions(le, ByteOrder.LITTLE_ENDIAN).toArray(byte[][]::new)),
                first.options().encoded());
        InterfaceStatistics statistics = assertInstanceOf(InterfaceStatistics.class, blocks.get(1));
        assertEquals(new InterfaceStatistics(0, SECONDS * 1_000_000_000L + 500_000_000, RawOptions.ofEncoded(join(
                le.timeOption(2, SECONDS * 1_000_000_000L), le.timeOption(3, SECONDS * 1_000_000_000L + 500_000_000),
                le.longOption(4, 0x0000_0102_0304_0506L), le.longOption(5, 12)))), statistics);
        OpaqueBlock names = assertInstanceOf(OpaqueBlock.class, blocks.get(2));
        assertEquals(4, names.blockType());
        assertArrayEquals(join(le.option(1, join(new byte[] {(byte) 198, 18, 0, 9},
                        "upstream.lab\0".getBytes(StandardCharsets.US_ASCII))), le.option(0, new byte[0]),
                le.option(2, "dns.lab"), le.option(0, new byte[0])), names.body());
        DecryptionSecrets secrets = assertInstanceOf(DecryptionSecrets.class, blocks.get(3));
        assertEquals(0x544c534b, secrets.secretsType());
        assertArrayEquals(KEY_LOG, secrets.secrets());
        OpaqueBlock custom = assertInstanceOf(OpaqueBlock.class, blocks.get(4));
        assertEquals(0x00000bad, custom.blockType());
        assertArrayEquals(join(pen(ByteOrder.LITTLE_ENDIAN), new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), custom.body());
        CaptureRecord second = assertInstanceOf(CaptureRecord.class, blocks.get(5));
        assertEquals(SECONDS * 1_000_000_000L + 750_000_000, second.timestampNanos());
        assertTrue(second.options().isEmpty());
    }

    /** The hand-built input, meshcap's pcapng copy of it, and what meshcap said it skipped. */
    private record Copied(Path in, Path out, String skipped) {
    }

    /** Writes the input in {@code endian} order and copies every block meshcap reads from it into a pcapng file. */
    private Copied copy(ReaderCompatibilityTest.Endian endian) throws IOException {
        Path in = Files.write(dir.resolve("in.pcapng"), input(endian.order));
        Path out = dir.resolve("out.pcapng");
        try (CaptureReader reader = CaptureFormats.open(in);
             CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            writer.describeSection(reader.section());
            int added = 0;
            for (CaptureBlock block = reader.nextBlock(); block != null; block = reader.nextBlock()) {
                for (List<CaptureInterface> known = reader.interfaces(); added < known.size(); added++) {
                    writer.addInterface(known.get(added));
                }
                writer.write(block);
            }
            return new Copied(in, out, reader.skipped().orElse("nothing skipped"));
        }
    }

    private static byte[] pen(ByteOrder order) {
        return ByteBuffer.allocate(Integer.BYTES).order(order).putInt(PEN).array();
    }

    private static byte[] longBytes(ByteOrder order, long value) {
        return ByteBuffer.allocate(Long.BYTES).order(order).putLong(value).array();
    }

    private static List<byte[]> concat(List<byte[]> first, List<byte[]> second) {
        List<byte[]> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** An Ethernet frame of {@code length} bytes holding an IPv4 UDP header from 198.18.0.9. */
    private static byte[] ethernet(int length) {
        byte[] frame = new byte[length];
        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[17] = (byte) (length - 14);
        frame[23] = 17;
        frame[26] = (byte) 198;
        frame[27] = 18;
        frame[29] = 9;
        return frame;
    }
}
