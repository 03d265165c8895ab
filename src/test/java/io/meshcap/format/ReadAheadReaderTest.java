package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file read ahead on a thread of its own reads exactly as with its own reader: the same blocks with the interfaces
 * known at each, across many batches, and the same ending (a clean end, a truncation, what was skipped, or the damage
 * after the blocks before it), for every cut and damaged length of a file.
 */
class ReadAheadReaderTest {

    /** A hang guard, not a speed target. */
    private static final Duration LIMIT = Duration.ofSeconds(600);
    private static final int SMALL_BUFFER = 64;

    @TempDir
    Path dir;

    /**
     * A pcapng file of {@code packets} packets on eth0 with a second interface defined after the first third, whose
     * packets follow, and an unknown block and an interface statistics block on the way.
     */
    private static byte[] sample(int packets) {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb(b.option(4, "app")).idb(LinkType.EN10MB, 0, b.option(2, "eth0"));
        for (int i = 0; i < packets; i++) {
            if (i == packets / 3) {
                b.idb(LinkType.RAW, 0, b.option(2, "lo"));
                b.block(0x1234, new byte[8]);
            }
            byte[] data = new byte[1 + i % 50];
            Arrays.fill(data, (byte) i);
            b.epb(i < packets / 3 ? 0 : 1, 1_000L + i, data.length + 3, data,
                    i % 7 == 0 ? new byte[][] {b.option(1, "c" + i)} : new byte[0][]);
            if (i == packets / 2) {
                b.isb(0, 2_000L);
            }
        }
        return b.toByteArray();
    }

    /** Everything a caller can see while reading a file through, one line per step. */
    private static List<String> trace(CaptureReader reader) {
        List<String> seen = new ArrayList<>();
        seen.add(reader.formatName() + " " + reader.section() + " " + reader.interfaces());
        try {
            for (CaptureBlock block = reader.nextBlock(); block != null; block = reader.nextBlock()) {
                String what = block instanceof CaptureRecord r
                        ? "packet if" + r.interfaceId() + " " + r.timestampNanos() + " " + r.originalLength() + " "
                        + Arrays.toString(r.data()) + " " + r.comments()
                        : block.getClass().getSimpleName();
                seen.add(what + " / " + reader.interfaceCount() + " interfaces: " + reader.interfaces());
            }
            seen.add("end / " + reader.interfaces() + " / " + reader.truncation() + " / " + reader.skipped());
            seen.add("after the end: " + reader.nextBlock());
        } catch (MeshcapException e) {
            seen.add("error: " + e.getMessage());
        }
        return seen;
    }

    private static List<String> plain(Path file) {
        try (CaptureReader reader = CaptureFormats.open(file, SMALL_BUFFER)) {
            return trace(reader);
        } catch (MeshcapException e) {
            return List.of("does not open: " + e.getMessage());
        }
    }

    private static List<String> readAhead(Path file) {
        try (CaptureReader reader = CaptureFormats.openReadingAhead(file, SMALL_BUFFER)) {
            return trace(reader);
        } catch (MeshcapException e) {
            return List.of("does not open: " + e.getMessage());
        }
    }

    @Test
    void aLongFileReadsAsWithItsOwnReaderAcrossManyBatches() throws IOException {
        Path file = Files.write(dir.resolve("long.pcapng"), sample(3000));
        List<String> expected = plain(file);
        assertEquals(1 + 3000 + 1 + 2, expected.size(), "the opening line, 3000 packets, statistics, the ending lines");
        assertTrue(expected.get(expected.size() - 2).contains("skipped"), expected.get(expected.size() - 2));
        assertEquals(expected, readAhead(file));
    }

    @Test
    void everyCutAndEveryDamagedLengthEndsAsWithItsOwnReader() {
        byte[] whole = sample(12);
        assertTimeoutPreemptively(LIMIT, () -> {
            for (int cut = 0; cut <= whole.length; cut++) {
                Path file = Files.write(dir.resolve("cut.pcapng"), Arrays.copyOf(whole, cut));
                assertEquals(plain(file), readAhead(file), "cut at " + cut);
            }
            for (int at = 4; at < whole.length; at += 4) {
                byte[] damaged = whole.clone();
                ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 0x7fff_fffc);
                Path file = Files.write(dir.resolve("damaged.pcapng"), damaged);
                assertEquals(plain(file), readAhead(file), "0x7ffffffc at " + at);
            }
        });
    }

    @Test
    void aDamagedFileFailsAfterTheBlocksBeforeTheDamage() throws IOException {
        byte[] bytes = sample(900);
        ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> blockStarts = new ArrayList<>();
        for (int at = 0; at < bytes.length; at += view.getInt(at + 4)) {
            blockStarts.add(at);
        }
        // The length of the 800th block claims more than any block may hold.
        view.putInt(blockStarts.get(800) + 4, 0x7fff_fffc);
        Path file = Files.write(dir.resolve("late-damage.pcapng"), bytes);
        List<String> seen = readAhead(file);
        // The 800 blocks before the damage are the section header, two interface descriptions, the unknown block
        // (skipped) and 796 packets and statistics.
        assertEquals(1 + 796 + 1, seen.size(), "the opening line, the 796 blocks before the damage, the error");
        assertTrue(seen.get(seen.size() - 1).startsWith("error: " + file + ": offset "), seen.get(seen.size() - 1));
        assertTrue(seen.get(seen.size() - 1).contains("block length 2147483644 is impossible"), seen.get(seen.size() - 1));
        assertEquals(plain(file), seen);
    }

    @Test
    void closingBeforeTheEndStopsTheReadAheadThread() throws Exception {
        Path file = Files.write(dir.resolve("closed-early.pcapng"), sample(5000));
        String threadName = "meshcap-reader " + file;
        try (CaptureReader reader = CaptureFormats.openReadingAhead(file, SMALL_BUFFER)) {
            assertTrue(reader.next() != null);
            assertTrue(readerThreadAlive(threadName), "the file is read ahead on its own thread");
        }
        assertFalse(readerThreadAlive(threadName), "close() ends the thread it started");
    }

    private static boolean readerThreadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
