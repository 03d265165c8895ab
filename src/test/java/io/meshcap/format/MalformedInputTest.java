package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged files: every truncation of a small file, impossible length fields, wrong magic, random
 * corruption. The contract: whole records before a cut are kept and the cut is reported; anything else
 * is a MeshcapException naming file and offset; never another exception, never a hang.
 */
class MalformedInputTest {

    /** A hang guard, not a speed target: parallel builds can slow a healthy run many times over. */
    private static final Duration LIMIT = Duration.ofSeconds(600);
    /** Tiny buffers force every refill and growth path; the default one is the everyday path. */
    private static final int[] BUFFER_SIZES = {8, 64, CaptureFormats.DEFAULT_READ_BUFFER};
    private static final int[] BAD_LENGTHS = {0, 1, 3, 5, 11, 12, 13, 0x7fff_fffc, 0x7fff_ffff, 0x8000_0000,
        0xffff_fffc, 0xffff_ffff, 0x0100_0000, 0x00ff_fffc};

    @TempDir
    Path dir;

    /** A file plus where each packet's record ends, and where length fields sit. */
    private record Sample(String name, byte[] bytes, List<Integer> recordEnds, List<Integer> lengthFields) {
    }

    private static Sample pcap() {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN).pcapHeader(false, 65535, LinkType.EN10MB);
        List<Integer> ends = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        for (int size : new int[] {0, 1, 14, 33, 60}) {
            lengths.add(b.size() + 8);
            lengths.add(b.size() + 12);
            b.pcapRecord(1_795_333_790L + size, size, size + 2, new byte[size]);
            ends.add(b.size());
        }
        return new Sample("sample.pcap", b.toByteArray(), ends, lengths);
    }

    private static Sample pcapng(ByteOrder order) {
        BlockBuilder b = new BlockBuilder(order);
        List<Integer> ends = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        lengths.add(4);
        b.shb(b.option(4, "app"));
        lengths.add(b.size() + 4);
        lengths.add(b.size() + 18); // if_name option length
        b.idb(LinkType.EN10MB, 0, b.option(2, "eth0"), b.option(9, new byte[] {9}));
        lengths.add(b.size() + 4);
        lengths.add(b.size() + 20); // EPB captured length
        lengths.add(b.size() + 36); // opt_comment length
        b.epb(0, 1L, 20, new byte[17], b.option(1, "c"));
        ends.add(b.size());
        lengths.add(b.size() + 4);
        b.block(4, new byte[4]);
        lengths.add(b.size() + 4);
        b.spb(9, new byte[9]);
        ends.add(b.size());
        lengths.add(b.size() + 4);
        b.pb(0, 2L, 3, new byte[3]);
        ends.add(b.size());
        String name = "sample-" + (order == ByteOrder.BIG_ENDIAN ? "be" : "le") + ".pcapng";
        return new Sample(name, b.toByteArray(), ends, lengths);
    }

    private static List<Sample> samples() {
        return List.of(pcap(), pcapng(ByteOrder.LITTLE_ENDIAN), pcapng(ByteOrder.BIG_ENDIAN));
    }

    /** What reading a file did: the records kept, the truncation report, or the error. */
    private record Outcome(int records, String truncation, MeshcapException error) {
    }

    private Outcome read(Path file, int bufferSize) {
        return read(file.toString(), () -> CaptureFormats.open(file, bufferSize));
    }

    /** Reads {@code bytes} from memory: what a reader does with them is the same, without a file per round. */
    private Outcome read(String name, byte[] bytes, int bufferSize) {
        return read(name, () -> CaptureFormats.open(name, Channels.newChannel(new ByteArrayInputStream(bytes)),
                bufferSize));
    }

    private Outcome read(String source, Supplier<CaptureReader> open) {
        try (CaptureReader reader = open.get()) {
            int count = 0;
            while (reader.next() != null) {
                count++;
            }
            assertEquals(null, reader.next(), "next() stays null at the end");
            return new Outcome(count, reader.truncation().orElse(null), null);
        } catch (MeshcapException e) {
            assertTrue(e.getMessage().startsWith(source + ": "), e.getMessage());
            return new Outcome(-1, null, e);
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void everyTruncationKeepsTheWholeRecordsBeforeTheCut() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (Sample sample : samples()) {
                int firstRecordStart = sample.recordEnds().get(0) - firstRecordLength(sample);
                for (int cut = 0; cut <= sample.bytes().length; cut++) {
                    Path file = write(sample.name(), Arrays.copyOf(sample.bytes(), cut));
                    for (int bufferSize : BUFFER_SIZES) {
                        Outcome outcome = read(file, bufferSize);
                        String where = sample.name() + " cut at " + cut + ", buffer " + bufferSize;
                        if (cut < headerLength(sample)) {
                            assertTrue(outcome.error() != null, where + ": a cut header is an error");
                            assertTrue(outcome.error().getMessage().contains("offset 0"), outcome.error().getMessage());
                            continue;
                        }
                        final int at = cut;
                        int whole = (int) sample.recordEnds().stream().filter(end -> end <= at).count();
                        assertEquals(whole, outcome.records(), where + ": " + outcome.error());
                        boolean atBoundary = cut == sample.bytes().length || sample.recordEnds().contains(cut)
                                || cut == firstRecordStart || (sample.name().endsWith("pcapng") && isBlockStart(sample, cut));
                        assertEquals(!atBoundary, outcome.truncation() != null, where + ": " + outcome.truncation());
                        if (outcome.truncation() != null) {
                            assertTrue(outcome.truncation().startsWith(file + ": offset "), outcome.truncation());
                            assertTrue(outcome.truncation().contains("the " + whole + " records before it were kept"),
                                    outcome.truncation());
                        }
                    }
                }
            }
        });
    }

    @Test
    void impossibleLengthFieldsNeverCrashOrHang() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (Sample sample : samples()) {
                boolean bigEndian = sample.name().contains("-be");
                for (int field : sample.lengthFields()) {
                    for (int bad : BAD_LENGTHS) {
                        byte[] bytes = sample.bytes().clone();
                        ByteBuffer.wrap(bytes).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                                .putInt(field, bad);
                        Path file = write(sample.name(), bytes);
                        for (int bufferSize : BUFFER_SIZES) {
                            Outcome outcome = read(file, bufferSize);
                            if (outcome.error() != null) {
                                assertTrue(outcome.error().getMessage().matches("(?s).*: offset \\d+: .*"),
                                        outcome.error().getMessage());
                            }
                        }
                    }
                }
            }
        });
    }

    @Test
    void randomCorruptionNeverCrashesOrHangs() {
        Random random = new Random(20261122);
        assertTimeoutPreemptively(LIMIT, () -> {
            for (Sample sample : samples()) {
                for (int round = 0; round < 1500; round++) {
                    byte[] bytes = sample.bytes().clone();
                    int flips = 1 + random.nextInt(4);
                    for (int i = 0; i < flips; i++) {
                        bytes[4 + random.nextInt(bytes.length - 4)] = (byte) random.nextInt(256);
                    }
                    read(sample.name(), bytes, BUFFER_SIZES[round % BUFFER_SIZES.length]);
                }
            }
        });
    }

    @Test
    void wrongMagicSaysWhatTheFileIsNot() throws IOException {
        Path text = write("notes.pcap", "hello, this is text\n".getBytes());
        MeshcapException e = assertThrows(MeshcapException.class, () -> CaptureFormats.open(text));
        assertEquals(text + ": offset 0: not a pcap or pcapng file (starts with 0x68656c6c); check the path, or convert "
                + "the file with editcap", e.getMessage());
        Path gzip = write("cap.pcap.gz", new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0});
        assertTrue(assertThrows(MeshcapException.class, () -> CaptureFormats.open(gzip)).getMessage()
                .contains("gunzip it first"));
        Path empty = write("empty.pcap", new byte[0]);
        assertEquals(empty + ": offset 0: empty file, not a capture",
                assertThrows(MeshcapException.class, () -> CaptureFormats.open(empty)).getMessage());
        MeshcapException missing = assertThrows(MeshcapException.class, () -> CaptureFormats.open(dir.resolve("nope")));
        assertTrue(missing.getMessage().endsWith("nope: no such file"), missing.getMessage());
    }

    @Test
    void aWellFormedBlockOfUnknownTypeIsSkippedAndNamedWithItsOffset() throws IOException {
        Sample sample = pcapng(ByteOrder.LITTLE_ENDIAN);
        int second = sample.recordEnds().get(0); // the name resolution block follows the first packet
        byte[] bytes = sample.bytes().clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(second, 0x1234);
        Path file = write("unknown.pcapng", bytes);
        try (CaptureReader reader = CaptureFormats.open(file)) {
            int records = 0;
            while (reader.next() != null) {
                records++;
            }
            assertEquals(sample.recordEnds().size(), records);
            assertEquals(Optional.of(file + ": skipped what meshcap does not know or carry: 1 block of unknown type"
                    + " 0x00001234 at offset " + second), reader.skipped());
        }
    }

    @Test
    void packetOnAnUndefinedInterfaceIsDamage() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb().idb(LinkType.RAW, 0).epb(1, 0, 1, new byte[1]);
        Path file = write("undefined.pcapng", b.toByteArray());
        try (CaptureReader reader = CaptureFormats.open(file)) {
            MeshcapException e = assertThrows(MeshcapException.class, reader::next);
            assertTrue(e.getMessage().contains("packet refers to interface 1, but its section defines 1"), e.getMessage());
        }
    }

    @Test
    void aCleanEndIsNotATruncation() throws IOException {
        Sample sample = pcap();
        try (CaptureReader reader = CaptureFormats.open(write(sample.name(), sample.bytes()))) {
            while (reader.next() != null) {
                // drain
            }
            assertFalse(reader.truncation().isPresent());
        }
    }

    private static int headerLength(Sample sample) {
        if (sample.name().endsWith(".pcap")) {
            return 24;
        }
        ByteBuffer b = ByteBuffer.wrap(sample.bytes())
                .order(sample.name().contains("-be") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        return b.getInt(4);
    }

    private static int firstRecordLength(Sample sample) {
        return sample.recordEnds().get(0) - (sample.name().endsWith(".pcap") ? 24 : blockStarts(sample).get(2));
    }

    /** Offsets where pcapng blocks start, found by walking the (undamaged) sample's lengths. */
    private static List<Integer> blockStarts(Sample sample) {
        ByteBuffer b = ByteBuffer.wrap(sample.bytes())
                .order(sample.name().contains("-be") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        List<Integer> starts = new ArrayList<>();
        for (int at = 0; at < sample.bytes().length; at += b.getInt(at + 4)) {
            starts.add(at);
        }
        return starts;
    }

    private static boolean isBlockStart(Sample sample, int offset) {
        return blockStarts(sample).contains(offset);
    }
}
