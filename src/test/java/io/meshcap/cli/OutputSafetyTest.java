package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.OutputFormat;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.RandomCapture;
import io.meshcap.testing.SmallTmpfs;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code -o} names survives every failure (a damaged input, a full disk): a device node, a named pipe, an
 * existing file. Only a complete new file ever replaces an old one, and nothing is left beside it.
 */
class OutputSafetyTest {

    private static final Duration PIPE_TIMEOUT = Duration.ofSeconds(30);
    /** Some 2 MB of random frames: more than the small disk holds. */
    private static final int BIG_PACKETS = 10_000;

    @TempDir
    Path dir;

    private Path capture(String name, int packets) {
        return RandomCapture.write(dir.resolve(name), OutputFormat.PCAP, packets, name.hashCode());
    }

    /** A file that starts as a capture and is damaged at its second record: merging fails after writing some. */
    private Path damaged(String name) throws IOException {
        byte[] bytes = Files.readAllBytes(capture(name, 3));
        int second = 24 + 16 + readLittleEndian(bytes, 24 + 8);
        bytes[second + 11] = (byte) 0x7f; // the second record claims an impossible length
        return Files.write(dir.resolve(name), bytes);
    }

    private static int readLittleEndian(byte[] bytes, int at) {
        return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8 | (bytes[at + 2] & 0xff) << 16 | (bytes[at + 3] & 0xff) << 24;
    }

    private Path notACapture() throws IOException {
        return Files.writeString(dir.resolve("notacapture.pcap"), "this is a shopping list, not a capture\n");
    }

    private static String stat(String format, Path file) {
        return CommandRunner.check("stat", List.of("stat", "-c", format, file.toString())).stdout().strip();
    }

    private List<String> hiddenFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(name -> name.startsWith(".")).toList();
        }
    }

    @Test
    void aDeviceNodeNamedByDashOIsWrittenAndNeverDeleted() throws IOException {
        Path device = dir.resolve("null");
        CommandRunner.check("mknod", List.of("mknod", "-m", "666", device.toString(), "c", "1", "3"));
        Path garbage = notACapture();

        CliRun merge = CliRun.of("merge", garbage.toString(), "-o", device.toString());
        assertEquals(1, merge.exitCode(), merge::toString);
        CliRun midway = CliRun.of("merge", capture("good.pcap", 5).toString(), damaged("bad.pcap").toString(),
                "-o", device.toString());
        assertEquals(1, midway.exitCode(), midway::toString);
        CliRun reassociate = CliRun.of("reassociate", garbage.toString(), "-o", device.toString());
        assertEquals(1, reassociate.exitCode(), reassociate::toString);
        assertEquals("character special file 1,3 666", stat("%F %t,%T %a", device), "the device node is untouched");

        CliRun works = CliRun.of("merge", dir.resolve("good.pcap").toString(), "-o", device.toString());
        assertEquals(0, works.exitCode(), works::toString);
        assertEquals("character special file 1,3 666", stat("%F %t,%T %a", device), "written, mode kept");
        assertEquals(List.of(), hiddenFiles());
    }

    @Test
    void aNamedPipeNamedByDashOSurvivesAFailingMerge() throws Exception {
        Path fifo = dir.resolve("wireshark.fifo");
        CommandRunner.check("mkfifo", List.of("mkfifo", fifo.toString()));
        CompletableFuture<byte[]> reader = readInBackground(fifo);
        CliRun merge = assertTimeoutPreemptively(PIPE_TIMEOUT,
                () -> CliRun.of("merge", capture("good.pcap", 5).toString(), damaged("bad.pcap").toString(),
                        "-o", fifo.toString()));
        assertEquals(1, merge.exitCode(), merge::toString);
        reader.get(PIPE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("fifo", stat("%F", fifo), "the pipe is still there");

        CompletableFuture<byte[]> second = readInBackground(fifo);
        CliRun works = assertTimeoutPreemptively(PIPE_TIMEOUT,
                () -> CliRun.of("merge", dir.resolve("good.pcap").toString(), "-o", fifo.toString()));
        assertEquals(0, works.exitCode(), works::toString);
        Path received = Files.write(dir.resolve("received.pcapng"), second.get(PIPE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(5, Tshark.capinfosCount(received));
        assertEquals("fifo", stat("%F", fifo));
    }

    private static CompletableFuture<byte[]> readInBackground(Path fifo) {
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                read.complete(Files.readAllBytes(fifo));
            } catch (IOException e) {
                read.completeExceptionally(e);
            }
        }, "fifo-reader");
        thread.setDaemon(true);
        thread.start();
        return read;
    }

    @Test
    void anExistingFileIsLeftAsItWasWhenMergingOrReassociatingFails() throws IOException {
        Path good = capture("good.pcap", 5);
        Path garbage = notACapture();
        Path damaged = damaged("damaged.pcap");
        Path existing = capture("existing.pcapng", 7);
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r-----"));
        byte[] before = Files.readAllBytes(existing);
        List<List<String>> failing = List.of(
                List.of("merge", dir.resolve("typo.pcap").toString()),
                List.of("merge", good.toString(), garbage.toString()),
                List.of("merge", good.toString(), damaged.toString()),
                List.of("merge", "--reassociate", good.toString(), damaged.toString()),
                List.of("reassociate", garbage.toString()),
                List.of("reassociate", damaged.toString()));
        for (List<String> args : failing) {
            CliRun run = CliRun.of(Stream.concat(args.stream(), Stream.of("-o", existing.toString()))
                    .toArray(String[]::new));
            assertEquals(1, run.exitCode(), args + ": " + run);
            assertArrayEquals(before, Files.readAllBytes(existing), args + " changed the existing file");
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)));
            assertEquals(List.of(), hiddenFiles(), args + " left a temporary file");
        }
        assertTrue(CliRun.of("merge", dir.resolve("typo.pcap").toString(), "-o", existing.toString()).err()
                .contains("typo.pcap: no such file"));
    }

    @Test
    void aFullDiskLeavesTheExistingFileAsItWasAndSaysSoInOneLine() throws IOException {
        Path big = capture("big.pcap", BIG_PACKETS);
        try (SmallTmpfs disk = SmallTmpfs.mount(dir, "disk", "size=512k")) {
            Path existing = Files.copy(capture("existing.pcapng", 7), disk.resolve("existing.pcapng"));
            byte[] before = Files.readAllBytes(existing);
            for (String command : List.of("merge", "reassociate")) {
                CliRun run = CliRun.of(command, big.toString(), "-o", existing.toString());
                assertEquals(1, run.exitCode(), command + ": " + run);
                assertEquals("meshcap: no space left on device while writing " + existing + "; " + existing
                        + " is unchanged", run.err().strip(), command);
                assertArrayEquals(before, Files.readAllBytes(existing), command + " changed the existing file");
                try (Stream<Path> files = Files.list(disk.path())) {
                    assertEquals(List.of(existing), files.toList(), command + " left a temporary file");
                }
            }
        }
    }

    @Test
    void aCompleteMergeReplacesTheFileAndALinkKeepsPointingToIt() throws IOException {
        Path existing = capture("existing.pcapng", 7);
        Path link = Files.createSymbolicLink(dir.resolve("latest.pcapng"), existing.getFileName());
        CliRun run = CliRun.of("merge", capture("good.pcap", 5).toString(), "-o", link.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertEquals(5, Tshark.capinfosCount(existing), "the file it points to was replaced");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)));
        assertEquals(List.of(), hiddenFiles());
    }

    @Test
    void theOutputIsCheckedBeforeAnyInputIsRead() throws IOException {
        Files.createDirectory(dir.resolve("captures"));
        String typo = dir.resolve("typo.pcap").toString();
        CliRun empty = CliRun.of("merge", typo, "-o", "");
        assertEquals(2, empty.exitCode(), empty::toString);
        assertEquals("meshcap: -o needs a file name, not an empty string", empty.err().strip());
        CliRun directory = CliRun.of("merge", typo, "-o", dir.resolve("captures").toString());
        assertEquals(2, directory.exitCode(), directory::toString);
        assertEquals("meshcap: -o " + dir.resolve("captures") + " is a directory; name a file in it, e.g. -o "
                + dir.resolve("captures/capture.pcapng"), directory.err().strip());
        Path missing = dir.resolve("missing");
        CliRun noDirectory = CliRun.of("reassociate", typo, "-o", missing.resolve("out.pcapng").toString());
        assertEquals(2, noDirectory.exitCode(), noDirectory::toString);
        assertEquals("meshcap: -o " + missing.resolve("out.pcapng") + ": the directory " + missing
                + " does not exist; create it first (mkdir -p " + missing + ")", noDirectory.err().strip());
        assertFalse(Files.exists(missing));
    }

    @Test
    void mergeReassociateRefusesAPipeItWouldHaveToReadTwiceAndReadsItOnceWhenAsked() throws Exception {
        Path capture = capture("lo.pcap", 9);
        Path fifo = dir.resolve("lo.fifo");
        CommandRunner.check("mkfifo", List.of("mkfifo", fifo.toString()));
        Path out = dir.resolve("out.pcapng");

        CliRun refused = assertTimeoutPreemptively(PIPE_TIMEOUT,
                () -> CliRun.of("merge", "--reassociate", fifo.toString(), "-o", out.toString()));
        assertEquals(2, refused.exitCode(), refused::toString);
        assertTrue(refused.err().startsWith("meshcap: " + fifo + " is a pipe or device, which can be read only once,"),
                refused::toString);
        assertTrue(refused.err().contains("--no-stream-comments"), refused::toString);
        assertFalse(Files.exists(out));

        CompletableFuture<Void> writer = writeInBackground(fifo, Files.readAllBytes(capture));
        CliRun once = assertTimeoutPreemptively(PIPE_TIMEOUT, () -> CliRun.of("merge", "--reassociate",
                "--no-stream-comments", fifo.toString(), "-o", out.toString()));
        assertEquals(0, once.exitCode(), once::toString);
        writer.get(PIPE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(9, Tshark.capinfosCount(out));

        // reassociate reads its one input once, so a pipe does for it.
        Path reassociated = dir.resolve("reassociated.pcapng");
        CompletableFuture<Void> again = writeInBackground(fifo, Files.readAllBytes(capture));
        CliRun single = assertTimeoutPreemptively(PIPE_TIMEOUT, () -> CliRun.of("reassociate", fifo.toString(), "-o",
                reassociated.toString()));
        assertEquals(0, single.exitCode(), single::toString);
        again.get(PIPE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(9, Tshark.capinfosCount(reassociated));
    }

    private static CompletableFuture<Void> writeInBackground(Path fifo, byte[] bytes) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
                out.write(bytes);
                written.complete(null);
            } catch (IOException e) {
                written.completeExceptionally(e);
            }
        }, "fifo-writer");
        thread.setDaemon(true);
        thread.start();
        return written;
    }
}
