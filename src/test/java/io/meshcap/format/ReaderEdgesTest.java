package io.meshcap.format;

import static io.meshcap.format.BlockBuilder.join;
import static io.meshcap.format.BlockBuilder.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Well-formed files at the edges of what the specifications allow, each block built by hand
 * (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng) and each expected value written out: sections of both byte
 * orders in one file, a file cut inside a later section's header, the smallest and the largest blocks, empty
 * options and values, big-endian options meshcap can and cannot convert; and what a reader says of itself.
 */
class ReaderEdgesTest {

    private static final long MICROS = 1_795_333_790_000_000L;
    private static final int PEN = 32473;
    /** 2001:db8::9, an address of the documentation prefix. */
    private static final byte[] IPV6_ADDRESS = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    /** A hang guard, not a speed target: a reader that loops on a cut header never returns. */
    private static final Duration HANG = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    /** Wireshark reads such a file too: each section says its own byte order (mergecap of files from two machines). */
    @Test
    void sectionsOfBothByteOrdersInOneFileAreEachReadInTheirOwn() throws IOException {
        byte[] little = section(ByteOrder.LITTLE_ENDIAN, LinkType.RAW, MICROS + 1, new byte[] {1, 2, 3, 4});
        byte[] big = section(ByteOrder.BIG_ENDIAN, LinkType.EN10MB, MICROS + 2, new byte[] {5, 6, 7});
        Path file = write("orders.pcapng", join(little, big, little));
        ReadBack.assertSameAsTshark(file);
        List<CaptureRecord> records = ReadBack.readAll(file);
        assertEquals(List.of(0, 1, 2), records.stream().map(CaptureRecord::interfaceId).toList());
        assertEquals(List.of(1_795_333_790_000_001_000L, 1_795_333_790_000_002_000L, 1_795_333_790_000_001_000L),
                records.stream().map(CaptureRecord::timestampNanos).toList());
        assertArrayEquals(new byte[] {5, 6, 7}, records.get(1).data());
        assertEquals(List.of(LinkType.RAW, LinkType.EN10MB, LinkType.RAW),
                ReadBack.interfaces(file).stream().map(CaptureInterface::linkType).toList());
    }

    /** Concatenated captures cut short (a copy that stopped) keep what came before the later section's header. */
    @Test
    void aFileCutInsideALaterSectionHeaderKeepsTheRecordsBeforeIt() throws IOException {
        byte[] first = section(ByteOrder.LITTLE_ENDIAN, LinkType.RAW, MICROS, new byte[] {1});
        byte[] second = new BlockBuilder(ByteOrder.BIG_ENDIAN).shb().toByteArray();
        // 10 bytes: the byte-order magic is not whole; 20: the magic is, the 28-byte block is not.
        for (int cut : new int[] {10, 20}) {
            Path file = write("cut" + cut + ".pcapng", join(first, Arrays.copyOf(second, cut)));
            int expected = cut == 10 ? 12 : 28;
            // Through a buffer of 16 bytes too: the offset counts what earlier refills passed.
            for (int buffer : new int[] {16, CaptureFormats.DEFAULT_READ_BUFFER}) {
                assertTimeoutPreemptively(HANG, () -> {
                    try (CaptureReader reader = CaptureFormats.open(file, buffer)) {
                        assertInstanceOf(CaptureRecord.class, reader.next());
                        assertNull(reader.next());
                        assertEquals(Optional.of(file + ": offset " + first.length + ": the last block is cut short ("
                                + cut + " of " + expected + " bytes); the 1 records before it were kept"),
                                reader.truncation());
                    }
                });
            }
        }
    }

    /**
     * The smallest block of each kind and empty values: two unknown blocks of 12 bytes (passed over), simple packets
     * without data or with padding only, a custom block of its enterprise number alone, name resolution without
     * options, secrets of no bytes, an empty if_tsresol (microseconds, the default), and an empty comment as a packet's
     * last option without the end-of-options marker (the block's end ends the options).
     */
    @Test
    void theSmallestBlocksAndEmptyValuesAreReadAsTheyAre() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb().idb(LinkType.RAW, 0, b.option(9, new byte[0]))
                .epb(0, MICROS, 4, new byte[] {9, 8, 7, 6});
        int unknownAt = b.size();
        b.block(0x1234, new byte[0])
                .block(0x1234, new byte[0])
                .spb(0, new byte[0])
                .spb(0, new byte[4]) // an empty packet's four bytes of padding
                .spb(100, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}) // cut: 8 of 100 bytes in the block
                .custom(true, PEN, new byte[0])
                .nrbIpv4(new byte[] {(byte) 198, 18, 0, 9}, "a.lab")
                .dsb(DecryptionSecrets.TLS_KEY_LOG, new byte[0])
                .block(6, join(le(0, (int) (MICROS >>> 32), (int) MICROS, 0, 0), b.option(RawOptions.COMMENT, "")));
        Path file = write("smallest.pcapng", b.toByteArray());
        try (CaptureReader reader = CaptureFormats.open(file)) {
            assertEquals("pcapng", reader.formatName());
            assertEquals(SectionInfo.NONE, reader.section());
            CaptureRecord packet = assertInstanceOf(CaptureRecord.class, reader.nextBlock());
            assertEquals(1_795_333_790_000_000_000L, packet.timestampNanos());
            assertArrayEquals(new byte[] {9, 8, 7, 6}, packet.data());
            for (int i = 0; i < 2; i++) {
                CaptureRecord empty = assertInstanceOf(CaptureRecord.class, reader.nextBlock());
                assertEquals(0, empty.capturedLength(), "simple packet " + i);
                assertEquals(0, empty.originalLength(), "simple packet " + i);
            }
            CaptureRecord cut = assertInstanceOf(CaptureRecord.class, reader.nextBlock());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, cut.data());
            assertEquals(100, cut.originalLength());
            OpaqueBlock custom = assertInstanceOf(OpaqueBlock.class, reader.nextBlock());
            assertArrayEquals(le(PEN), custom.body());
            OpaqueBlock names = assertInstanceOf(OpaqueBlock.class, reader.nextBlock());
            assertEquals(4, names.blockType());
            BlockBuilder record = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
            assertArrayEquals(join(record.option(1, new byte[] {(byte) 198, 18, 0, 9, 'a', '.', 'l', 'a', 'b', 0}),
                    record.option(0, new byte[0])), names.body());
            DecryptionSecrets secrets = assertInstanceOf(DecryptionSecrets.class, reader.nextBlock());
            assertEquals(0, secrets.secrets().length);
            CaptureRecord commented = assertInstanceOf(CaptureRecord.class, reader.nextBlock());
            assertEquals(List.of(""), commented.comments());
            assertNull(reader.nextBlock());
            assertEquals(1, reader.interfaceCount());
            assertEquals(Optional.of(file + ": skipped what meshcap does not know or carry: 2 blocks of unknown type"
                    + " 0x00001234 (the first at offset " + unknownAt + ")"), reader.skipped());
        }
    }

    /** The largest block meshcap reads: 16 MiB, type, lengths and trailer included. */
    @Test
    void aBlockOfSixteenMebibytesIsRead() throws IOException {
        byte[] data = new byte[(16 << 20) - 32];
        data[data.length - 1] = 42;
        Path file = write("largest.pcapng", new BlockBuilder(ByteOrder.LITTLE_ENDIAN).shb().idb(LinkType.RAW, 0)
                .epb(0, MICROS, data.length, data).toByteArray());
        List<CaptureRecord> records = ReadBack.readAll(file);
        assertEquals(1, records.size());
        assertArrayEquals(data, records.get(0).data());
    }

    /**
     * A big-endian section's options are carried in little-endian order where their layout is known and their length
     * is the one it defines; any other is left out and counted: a BPF program (only a libpcap filter string is text), a
     * custom option shorter than its enterprise number, a 64-bit if_speed of 4 bytes, verdicts of an unknown length, option
     * codes no statistics or name resolution block defines.
     */
    @Test
    void bigEndianOptionsAreConvertedWhereTheirLayoutIsKnownAndCountedWhereNot() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.BIG_ENDIAN);
        b.shb().idb(LinkType.RAW, 0,
                        b.option(11, new byte[] {0}), // if_filter: an empty libpcap filter string
                        b.option(11, new byte[] {1, 0, 0, 0, 6, 0, 0, 0}), // if_filter: a BPF program
                        b.option(2988, ByteBuffer.allocate(4).putInt(PEN).array()), // custom: the number alone
                        b.option(2989, new byte[] {1, 2, 3}), // custom, too short for its number
                        b.intOption(8, 1000)) // if_speed is 64 bits
                .epb(0, MICROS, 1, new byte[] {1},
                        b.option(7, new byte[] {1, (byte) 0xaa, (byte) 0xbb}), // hardware verdict
                        b.option(7, new byte[] {1}), // hardware verdict without bytes
                        b.option(7, join(new byte[] {3}, ByteBuffer.allocate(8).putLong(0x0a0b_0c0d_0e0f_1011L)
                                .array())), // eBPF XDP verdict
                        b.option(7, new byte[] {2, 1, 2, 3, 4}), // eBPF verdict, not 64 bits
                        b.option(7, new byte[0])) // no verdict type
                .isb(0, MICROS,
                        b.longOption(8, 0x0102_0304_0506_0708L), // isb_usrdeliv, the last counter
                        b.longOption(9, 5)) // no statistics option has code 9
                .block(4, join(b.option(1, new byte[] {(byte) 198, 18, 0, 9, 'a', 0}), b.option(0, new byte[0])),
                        b.option(4, IPV6_ADDRESS), // ns_dnsIP6addr, the last option of its layout
                        b.option(5, new byte[] {1, 2, 3, 4})); // no name resolution option has code 5
        Path file = write("big-endian-options.pcapng", b.toByteArray());
        try (CaptureReader reader = CaptureFormats.open(file)) {
            CaptureRecord packet = assertInstanceOf(CaptureRecord.class, reader.nextBlock());
            BlockBuilder little = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
            assertArrayEquals(join(little.option(11, new byte[] {0}), little.option(2988, le(PEN))),
                    reader.interfaces().get(0).options().encoded());
            assertArrayEquals(join(little.option(7, new byte[] {1, (byte) 0xaa, (byte) 0xbb}),
                    little.option(7, new byte[] {1}), little.option(7, new byte[] {3, 0x11, 0x10, 0x0f, 0x0e, 0x0d,
                            0x0c, 0x0b, 0x0a})), packet.options().encoded());
            InterfaceStatistics statistics = assertInstanceOf(InterfaceStatistics.class, reader.nextBlock());
            assertArrayEquals(little.longOption(8, 0x0102_0304_0506_0708L), statistics.options().encoded());
            OpaqueBlock names = assertInstanceOf(OpaqueBlock.class, reader.nextBlock());
            // The records with their headers in little-endian order, the options, then the end of options.
            assertArrayEquals(join(little.option(1, new byte[] {(byte) 198, 18, 0, 9, 'a', 0}),
                    little.option(0, new byte[0]), little.option(4, IPV6_ADDRESS), new byte[4]), names.body());
            assertNull(reader.nextBlock());
            assertEquals(Optional.of(file + ": skipped what meshcap does not know or carry: 7 options of unknown layout"
                    + " in a big-endian section"), reader.skipped());
        }
    }

    /** What a reader says of itself, and that closing it releases what it reads from (a pipe here). */
    @Test
    void aPcapReaderNamesItsFormatHasNoSectionAndClosesItsInput() throws IOException {
        Pipe pipe = Pipe.open();
        pipe.sink().write(ByteBuffer.wrap(new BlockBuilder(ByteOrder.LITTLE_ENDIAN)
                .pcapHeader(false, 65_535, LinkType.RAW).toByteArray()));
        pipe.sink().close();
        CaptureReader reader = CaptureFormats.open("stream", pipe.source(), 64);
        assertEquals("pcap", reader.formatName());
        assertEquals(SectionInfo.NONE, reader.section());
        assertEquals(1, reader.interfaceCount());
        assertNull(reader.next());
        reader.close();
        assertFalse(pipe.source().isOpen());
    }

    @Test
    void anInputThatIsNotACaptureIsClosedWithTheRefusal() throws IOException {
        Pipe pipe = Pipe.open();
        pipe.sink().write(ByteBuffer.wrap("hello, this is text\n".getBytes(StandardCharsets.US_ASCII)));
        pipe.sink().close();
        assertThrows(MeshcapException.class, () -> CaptureFormats.open("stream", pipe.source(), 64));
        assertFalse(pipe.source().isOpen());
    }

    @Test
    void aPcapngReaderClosesItsInput() throws IOException {
        Pipe pipe = Pipe.open();
        pipe.sink().write(ByteBuffer.wrap(new BlockBuilder(ByteOrder.LITTLE_ENDIAN).shb().toByteArray()));
        pipe.sink().close();
        CaptureFormats.open("stream", pipe.source(), 64).close();
        assertFalse(pipe.source().isOpen());
    }

    /** A section with one interface and one packet on it, in microseconds. */
    private static byte[] section(ByteOrder order, int linkType, long micros, byte[] data) {
        return new BlockBuilder(order).shb().idb(linkType, 0).epb(0, micros, data.length, data).toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }
}
