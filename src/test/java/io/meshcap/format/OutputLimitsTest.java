package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edges of reading and writing: pcap's snapshot length, output larger than the write buffer, a full disk and a
 * reader that went away, input blocks larger than the read buffer, unreadable and short inputs, and how meshcap tells
 * its own scratch files from someone else's. Judged by capinfos and tshark, and by the messages the user sees.
 */
class OutputLimitsTest {

    private static final long T0 = 1_795_333_790_000_000_000L;

    @TempDir
    Path dir;

    private static CaptureRecord packet(int length, long offsetNanos) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 7 + length);
        }
        return new CaptureRecord(0, T0 + offsetNanos, length, data);
    }

    @Test
    void aPcapHeaderStatesTheLargestSnapshotLengthAnInterfaceDeclaresAndNeverLess() {
        Path large = dir.resolve("large.pcap");
        try (CaptureWriter writer = CaptureFormats.create(large, OutputFormat.PCAP, null)) {
            writer.addInterface(new CaptureInterface(LinkType.RAW, 65535, "a", null));
            writer.addInterface(new CaptureInterface(LinkType.RAW, 300_000, "b", null));
            writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "c", null));
        }
        assertTrue(Tshark.run("capinfos", "-l", large.toString()).contains("file hdr: 300000 bytes"));
        Path small = dir.resolve("small.pcap");
        try (CaptureWriter writer = CaptureFormats.create(small, OutputFormat.PCAP, null)) {
            writer.addInterface(new CaptureInterface(LinkType.RAW, 1500, "lo", null));
            writer.write(packet(40, 0));
        }
        // An interface's small snapshot length does not lower the header's: later interfaces may need more.
        assertTrue(Tshark.run("capinfos", "-l", small.toString()).contains("file hdr: 262144 bytes"));
    }

    /** Wireshark refuses packets over 256 KiB whatever the header says; meshcap reads what the header allows. */
    @Test
    void aPacketAsLargeAsTheHeadersSnapshotLengthIsWrittenAndReadBack() {
        Path file = dir.resolve("jumbo.pcap");
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, null)) {
            writer.addInterface(new CaptureInterface(LinkType.RAW, 300_000, "b", null));
            writer.write(packet(300_000, 0));
        }
        List<CaptureRecord> back = ReadBack.readAll(file);
        assertEquals(1, back.size());
        assertArrayEquals(packet(300_000, 0).data(), back.get(0).data());
    }

    @Test
    void aPcapPacketLongerThanTheHeadersSnapshotLengthIsRefusedNotCut() {
        Path file = dir.resolve("refused.pcap");
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, null)) {
            writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "a", null));
            writer.write(packet(262_144, 0)); // exactly the snapshot length: fits
            MeshcapException tooLong = assertThrows(MeshcapException.class, () -> writer.write(packet(262_145, 1)));
            assertEquals(file + ": a packet of 262145 bytes is longer than the snapshot length 262144 in the pcap file"
                    + " header, written before its interface was known, and would be cut; write pcapng instead"
                    + " (--format pcapng)", tooLong.getMessage());
        }
        assertEquals(1, Tshark.capinfosCount(file));
    }

    @Test
    void aPcapStreamShowsItsHeaderOnFlushBeforeAnyPacketAndAnEmptyCaptureIsStillAFile() throws Exception {
        Pipe pipe = Pipe.open();
        try (CaptureWriter writer = CaptureFormats.create("stdout", pipe.sink(), OutputFormat.PCAP, null)) {
            writer.flush(); // no interface yet: nothing to say
            writer.addInterface(new CaptureInterface(LinkType.LINUX_SLL, 0, "lo", null));
            writer.flush();
            // A reader of the stream opens it before the first packet.
            try (CaptureReader reader = CaptureFormats.open("stream", pipe.source(), 64)) {
                assertEquals(List.of(new CaptureInterface(LinkType.LINUX_SLL, 262_144, null, null)),
                        reader.interfaces());
            }
        }
        Path empty = dir.resolve("empty.pcap");
        CaptureFormats.create(empty, OutputFormat.PCAP, null).close();
        assertEquals(24, Files.size(empty));
        assertEquals(0, Tshark.capinfosCount(empty));
        Path emptyNg = dir.resolve("empty.pcapng");
        CaptureFormats.create(emptyNg, OutputFormat.PCAPNG, "meshcap test").close();
        assertEquals(0, Tshark.capinfosCount(emptyNg));
        assertTrue(Tshark.run("capinfos", emptyNg.toString()).contains("Capture application: meshcap test"));
    }

    /** A live pcapng stream: a reader of it opens it at the first flush, before any interface or packet. */
    @Test
    void aPcapngStreamShowsItsSectionHeaderOnTheFirstFlush() throws Exception {
        Pipe pipe = Pipe.open();
        try (CaptureWriter writer = CaptureFormats.create("stdout", pipe.sink(), OutputFormat.PCAPNG, "meshcap test")) {
            writer.flush();
            // A hang guard: a reader waits for a section header that is never flushed.
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                try (CaptureReader reader = CaptureFormats.open("stream", pipe.source(), 64)) {
                    assertEquals(List.of(), reader.interfaces());
                }
            });
        }
    }

    @Test
    void aPcapOutputThatRefusedAnInterfaceWritesNoHeaderAtClose() throws IOException {
        Path file = dir.resolve("mixed.pcap");
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, null)) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "eth0", null));
            assertThrows(MeshcapException.class,
                    () -> writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "raw", null)));
        }
        assertEquals(0, Files.size(file));
    }

    @Test
    void outputManyTimesTheWriteBufferArrivesWholeAndInOrder() {
        Path file = dir.resolve("big.pcapng");
        int packets = 3 * CaptureFormats.WRITE_BUFFER / 1000;
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, null)) {
            writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "raw", null));
            for (int i = 0; i < packets; i++) {
                writer.write(packet(997 + i % 4, i * 1000L));
            }
        }
        assertEquals(packets, Tshark.capinfosCount(file));
        // A read buffer far smaller than a block grows to hold it.
        try (CaptureReader reader = CaptureFormats.open(file, 64)) {
            for (int i = 0; i < packets; i++) {
                CaptureRecord record = reader.next();
                assertEquals(T0 + i * 1000L, record.timestampNanos(), "packet " + i);
                assertArrayEquals(packet(997 + i % 4, 0).data(), record.data(), "packet " + i);
            }
            assertEquals(null, reader.next());
            assertEquals("nothing", reader.truncation().orElse("nothing"));
        }
    }

    /** Beyond what Wireshark reads (256 KiB), so meshcap reads it back: a block larger than both buffers. */
    @Test
    void aPacketLargerThanTheWriteBufferGoesThroughInPieces() {
        Path file = dir.resolve("huge.pcapng");
        CaptureRecord huge = packet(CaptureFormats.WRITE_BUFFER + 3, 0);
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, null)) {
            writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "raw", null));
            writer.write(packet(10, 0));
            writer.write(huge);
        }
        List<CaptureRecord> back = ReadBack.readAll(file);
        assertEquals(2, back.size());
        assertArrayEquals(huge.data(), back.get(1).data());
    }

    @Test
    void aFullDiskIsReportedAsSuch() {
        // /dev/full takes every write and fails it with ENOSPC, as a full file system does.
        CaptureWriter writer = CaptureFormats.create(Path.of("/dev/full"), OutputFormat.PCAPNG, null);
        writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "raw", null));
        writer.write(packet(100, 0));
        MeshcapException full = assertThrows(MeshcapException.class, writer::close);
        assertEquals("/dev/full: write failed: No space left on device (is the disk full?)", full.getMessage());
    }

    @Test
    void standardOutputWhoseReaderExitedSaysSo() throws IOException {
        assertEquals("stdout: write failed: Broken pipe (did the reading program exit?)", brokenPipe("stdout"));
    }

    @Test
    void aNamedPipeWhoseReaderExitedSaysSoRatherThanBlamingTheDisk() throws IOException {
        assertEquals("/tmp/viewer.fifo: write failed: Broken pipe (did the reading program exit?)",
                brokenPipe("/tmp/viewer.fifo"));
    }

    /** What writing to {@code destination}, a pipe whose reader has gone, fails with. */
    private static String brokenPipe(String destination) throws IOException {
        Pipe pipe = Pipe.open();
        pipe.source().close();
        CaptureWriter writer = CaptureFormats.create(destination, pipe.sink(), OutputFormat.PCAP, null);
        writer.addInterface(new CaptureInterface(LinkType.RAW, 0, "raw", null));
        writer.write(packet(100, 0));
        return assertThrows(MeshcapException.class, () -> {
            // The write fails on the writer's own thread; the next hand-over reports it.
            for (int i = 0; i < 1000; i++) {
                writer.flush();
                writer.write(packet(100, i));
            }
            writer.close();
        }).getMessage();
    }

    @Test
    void anInputThatCannotBeReadOrIsTooShortIsNamedWithTheReason() throws IOException {
        MeshcapException directory = assertThrows(MeshcapException.class, () -> CaptureFormats.open(dir));
        assertEquals(dir + ": offset 0: read failed: Is a directory", directory.getMessage());
        Path three = dir.resolve("three");
        Files.write(three, new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2});
        assertEquals(three + ": offset 0: only 3 bytes, too short to be a capture",
                assertThrows(MeshcapException.class, () -> CaptureFormats.open(three)).getMessage());
        Path header = dir.resolve("header.pcap");
        Files.write(header, java.util.Arrays.copyOf(new BlockBuilder(ByteOrder.LITTLE_ENDIAN)
                .pcapHeader(false, 65535, LinkType.RAW).toByteArray(), 20));
        assertEquals(header + ": offset 0: the pcap file header is cut short (20 of 24 bytes)",
                assertThrows(MeshcapException.class, () -> CaptureFormats.open(header)).getMessage());
        Path nowhere = dir.resolve("missing").resolve("out.pcap");
        assertEquals(nowhere + ": cannot create: its directory does not exist", assertThrows(MeshcapException.class,
                () -> CaptureFormats.create(nowhere, OutputFormat.PCAP, null)).getMessage());
    }

    @Test
    void onlyAnEmptyFileOrOneStartingWithACaptureMagicPassesForMeshcapsOwn() throws IOException {
        BlockBuilder le = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        BlockBuilder be = new BlockBuilder(ByteOrder.BIG_ENDIAN);
        List<byte[]> captures = List.of(new byte[0], le.pcapHeader(false, 0, 1).toByteArray(),
                be.pcapHeader(true, 0, 1).toByteArray(), new BlockBuilder(ByteOrder.LITTLE_ENDIAN).shb().toByteArray(),
                new BlockBuilder(ByteOrder.BIG_ENDIAN).shb().toByteArray());
        for (int i = 0; i < captures.size(); i++) {
            Path file = dir.resolve("capture" + i);
            Files.write(file, captures.get(i));
            assertTrue(CaptureFormats.emptyOrCapture(file), file.toString());
        }
        List<byte[]> others = List.of("notes\n".getBytes(), new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2},
                new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0});
        for (int i = 0; i < others.size(); i++) {
            Path file = dir.resolve("other" + i);
            Files.write(file, others.get(i));
            assertFalse(CaptureFormats.emptyOrCapture(file), file.toString());
        }
    }
}
