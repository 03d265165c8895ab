package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Packets read as views of the reader's buffer ({@link CaptureReader#nextBlock(PacketView)}), as {@code meshcap
 * reassociate} reads them: each view holds the bytes, lengths, time, interface and options the packet was written with,
 * in hand-built files of both byte orders, pcap and pcapng (every packet block type), read through a buffer smaller
 * than a record so that every record spans a refill; the largest record a pcap snaplen allows; a last record cut short.
 */
class PacketViewTest {

    /** Smaller than every record below, so each one is read across a refill (and the buffer grows). */
    private static final int TINY_BUFFER = 64;
    private static final int[] SIZES = {1, 59, 63, 64, 65, 200, 1500, 9000};
    private static final long SECONDS = 1_795_330_000L;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "big-endian: {0}")
    @ValueSource(booleans = {false, true})
    void pcapRecordsSpanningRefills(boolean bigEndian) throws IOException {
        BlockBuilder b = new BlockBuilder(order(bigEndian)).pcapHeader(true, 65_535, LinkType.EN10MB);
        for (int i = 0; i < SIZES.length; i++) {
            b.pcapRecord(SECONDS + i, 1000 * i + 7, SIZES[i] + 3, data(SIZES[i], i));
        }
        Path file = Files.write(dir.resolve("records.pcap"), b.toByteArray());
        try (CaptureReader reader = CaptureFormats.open(file, TINY_BUFFER)) {
            PacketView view = new PacketView();
            for (int i = 0; i < SIZES.length; i++) {
                assertSame(view, reader.nextBlock(view));
                assertPacket(view, 0, (SECONDS + i) * 1_000_000_000L + 1000 * i + 7, SIZES[i] + 3, data(SIZES[i], i));
                assertTrue(view.options().isEmpty());
            }
            assertNull(reader.nextBlock(view));
            assertEquals(Optional.empty(), reader.truncation());
        }
    }

    @ParameterizedTest(name = "big-endian: {0}")
    @ValueSource(booleans = {false, true})
    void pcapngPacketsOfEveryBlockTypeSpanningRefills(boolean bigEndian) throws IOException {
        BlockBuilder b = new BlockBuilder(order(bigEndian));
        b.shb().idb(LinkType.EN10MB, 0).idb(LinkType.RAW, 0)
                .epb(1, 2_000_001, 1600, data(1500, 1), b.option(RawOptions.COMMENT, "kept with the packet"))
                .isb(0, 2_000_002)
                .pb(0, 2_000_003, 70, data(65, 2))
                .epb(0, 2_000_004, 9000, data(9000, 3))
                .spb(63, data(63, 4));
        Path file = Files.write(dir.resolve("blocks.pcapng"), b.toByteArray());
        try (CaptureReader reader = CaptureFormats.open(file, TINY_BUFFER)) {
            PacketView view = new PacketView();
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 1, 2_000_001_000L, 1600, data(1500, 1));
            assertEquals(List.of("kept with the packet"), view.options().strings(RawOptions.COMMENT));
            assertInstanceOf(InterfaceStatistics.class, reader.nextBlock(view));
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 0, 2_000_003_000L, 70, data(65, 2));
            assertTrue(view.options().isEmpty());
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 0, 2_000_004_000L, 9000, data(9000, 3));
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 0, 0, 63, data(63, 4)); // a simple packet block has no time
            assertNull(reader.nextBlock(view));
            assertEquals(Optional.empty(), reader.truncation());
        }
    }

    @ParameterizedTest(name = "snaplen {0}")
    @ValueSource(ints = {262_144, 16 << 20})
    void largestRecordTheSnaplenAllows(int snaplen) throws IOException {
        byte[] largest = data(snaplen, 5);
        byte[] file = new BlockBuilder(ByteOrder.LITTLE_ENDIAN).pcapHeader(false, snaplen, LinkType.EN10MB)
                .pcapRecord(SECONDS, 1, 64, data(64, 6))
                .pcapRecord(SECONDS, 2, snaplen, largest)
                .pcapRecord(SECONDS, 3, 64, data(64, 7)).toByteArray();
        try (CaptureReader reader = CaptureFormats.open(Files.write(dir.resolve("largest.pcap"), file), TINY_BUFFER)) {
            PacketView view = new PacketView();
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 0, SECONDS * 1_000_000_000L + 1000, 64, data(64, 6));
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 0, SECONDS * 1_000_000_000L + 2000, snaplen, largest);
            assertSame(view, reader.nextBlock(view));
            assertPacket(view, 0, SECONDS * 1_000_000_000L + 3000, 64, data(64, 7));
            assertNull(reader.nextBlock(view));
        }
    }

    @ParameterizedTest(name = "pcapng: {0}")
    @ValueSource(booleans = {false, true})
    void lastRecordCutShort(boolean pcapng) throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.BIG_ENDIAN);
        if (pcapng) {
            b.shb().idb(LinkType.EN10MB, 0);
        } else {
            b.pcapHeader(false, 65_535, LinkType.EN10MB);
        }
        for (int i = 0; i < 3; i++) {
            if (pcapng) {
                b.epb(0, 1_000_000 + i, 100, data(100, i));
            } else {
                b.pcapRecord(SECONDS, i, 100, data(100, i));
            }
        }
        byte[] whole = b.toByteArray();
        Path file = Files.write(dir.resolve(pcapng ? "cut.pcapng" : "cut.pcap"),
                Arrays.copyOf(whole, whole.length - 10));
        try (CaptureReader reader = CaptureFormats.open(file, TINY_BUFFER)) {
            PacketView view = new PacketView();
            for (int i = 0; i < 2; i++) {
                assertSame(view, reader.nextBlock(view));
                assertArrayEquals(data(100, i), bytes(view));
            }
            assertNull(reader.nextBlock(view));
            String cut = reader.truncation().orElseThrow();
            assertTrue(cut.contains("cut short") && cut.contains("the 2 records before it were kept"), cut);
        }
    }

    /**
     * A stage's fast path: each view written from where it lies in the reader's buffer (past a refill, so not at the
     * array's start), after the stage moved it to another interface and added a comment; judged by tshark.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(OutputFormat.class)
    void viewsAreWrittenFromWhereTheyLieWithTheInterfaceAndOptionsTheStageGaveThem(OutputFormat format)
            throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.BIG_ENDIAN);
        b.shb().idb(LinkType.EN10MB, 0)
                .epb(0, 2_000_001, 1600, data(1500, 1), b.option(RawOptions.COMMENT, "captured"))
                .isb(0, 2_000_002)
                .epb(0, 2_000_003, 70, data(65, 2));
        Path in = Files.write(dir.resolve("in.pcapng"), b.toByteArray());
        Path out = dir.resolve("out." + format.name().toLowerCase(Locale.ROOT));
        RawOptions moved = RawOptions.NONE.plus(RawOptions.COMMENT, "moved");
        try (CaptureReader reader = CaptureFormats.open(in, TINY_BUFFER);
                CaptureWriter writer = CaptureFormats.create(out, format, "meshcap test")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "first", null));
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "second", null));
            PacketView view = new PacketView();
            for (CaptureBlock block = reader.nextBlock(view); block != null; block = reader.nextBlock(view)) {
                if (block == view) {
                    view.moveTo(1);
                    view.addOptions(moved);
                    writer.write(view);
                }
            }
        }
        List<CaptureRecord> records = ReadBack.readAll(out);
        assertEquals(2, records.size());
        assertArrayEquals(data(1500, 1), records.get(0).data());
        assertArrayEquals(data(65, 2), records.get(1).data());
        assertEquals(List.of(1600, 70), records.stream().map(CaptureRecord::originalLength).toList());
        assertEquals(List.of(2_000_001_000L, 2_000_003_000L),
                records.stream().map(CaptureRecord::timestampNanos).toList());
        if (format == OutputFormat.PCAPNG) {
            assertEquals(List.of(1, 1), records.stream().map(CaptureRecord::interfaceId).toList());
            assertEquals(List.of(List.of("captured", "moved"), List.of("moved")),
                    records.stream().map(CaptureRecord::comments).toList());
        }
        ReadBack.assertSameAsTshark(out);
    }

    private static void assertPacket(PacketView view, int interfaceId, long nanos, int originalLength, byte[] data) {
        assertEquals(interfaceId, view.interfaceId());
        assertEquals(nanos, view.timestampNanos());
        assertEquals(originalLength, view.originalLength());
        assertEquals(data.length, view.capturedLength());
        assertArrayEquals(data, bytes(view));
        assertArrayEquals(data, view.toRecord().data());
    }

    private static byte[] bytes(PacketView view) {
        return Arrays.copyOfRange(view.bytes(), view.offset(), view.end());
    }

    /** {@code length} bytes that differ from packet to packet ({@code seed}) and along the packet. */
    private static byte[] data(int length, int seed) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (seed * 31 + i * 7);
        }
        return data;
    }

    private static ByteOrder order(boolean bigEndian) {
        return bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }
}
