package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
import io.meshcap.lab.LabFixture;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.ChildMeshcap;
import io.meshcap.testing.LoopbackTraffic;
import io.meshcap.testing.ScratchNamespace;
import io.meshcap.testing.SmallTmpfs;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a capture's output and legs go, in a namespace of the test's own: {@code -o} is checked before anything
 * starts, {@code --keep-legs} keeps them visibly beside the output, a full disk (a small tmpfs the test mounts) keeps
 * what fit and says so in one line, two captures into one file leave one whole file, a capture killed with SIGKILL
 * (while capturing or while merging) leaves its legs for the next run to report and {@code meshcap cleanup --local}
 * to remove and the earlier file as it was, and cleanup leaves alone what only looks like meshcap's.
 */
class CaptureOutputTest {

    private static final int PORT = 7000;
    private static final int LOOPBACK_MTU = 65536;
    private static final String TMPFS_SIZE = "2m";
    private static final long MANY_BYTES = 24L << 20;
    /** Some 20 MB of loopback segments: long enough a merge for two to overlap. */
    private static final int CONCURRENT_PACKETS = 300;
    private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(120);

    static ScratchNamespace namespace;

    @TempDir
    Path dir;

    @BeforeAll
    static void createNamespace() {
        namespace = ScratchNamespace.create("mcout", LOOPBACK_MTU);
    }

    @AfterAll
    static void deleteNamespace() {
        namespace.close();
    }

    /** The capture every test runs: the namespace's lo, port {@link #PORT}, plus {@code more} options. */
    private static String[] capture(String... more) {
        List<String> args = new ArrayList<>(List.of("capture", "inbound-plain", "--netns", namespace.name(),
                "--pod-ip", "127.0.0.1", "--port", Integer.toString(PORT)));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** Runs the CLI in-process on a thread; returns once every leg is listening. */
    private record Background(Thread thread, CliRun[] result, StringWriter err) {
        CliRun await() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(120));
            assertFalse(thread.isAlive(), "the capture did not end: " + err);
            return result[0];
        }
    }

    private static Background inBackground(String... args) throws InterruptedException {
        CliRun[] result = new CliRun[1];
        StringWriter err = new StringWriter();
        Thread thread = new Thread(() -> result[0] = CliRun.of(err, args));
        thread.start();
        for (int i = 0; i < 600 && !err.toString().contains("meshcap: capturing") && thread.isAlive(); i++) {
            Thread.sleep(50);
        }
        assertTrue(err.toString().contains("meshcap: capturing"), "capture did not start: " + err);
        return new Background(thread, result, err);
    }

    /** Sends loopback traffic until every capture has ended (a busy machine may make tcpdump drop some). */
    private static void sendUntilEnded(Background... captures) throws IOException {
        long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
        while (Arrays.stream(captures).anyMatch(capture -> capture.thread().isAlive()) && System.nanoTime() < deadline) {
            LoopbackTraffic.send(namespace, PORT, 4L << 20);
        }
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void theOutputIsCheckedBeforeAnythingStarts() throws IOException {
        // A namespace that does not exist: had anything started before the check, that would have failed instead.
        String nowhere = LabFixture.uniqueName();
        try (SmallTmpfs readOnlyDisk = SmallTmpfs.mount(dir, "readonly", "ro,size=1m")) {
            Path readOnly = readOnlyDisk.path();
            CliRun directory = CliRun.of("capture", "sidecar", "--netns", nowhere, "-o", dir.toString());
            assertEquals(2, directory.exitCode(), directory::toString);
            assertTrue(directory.err().startsWith("meshcap: -o " + dir + " is a directory; name a file in it"),
                    directory::toString);
            CliRun empty = CliRun.of("capture", "sidecar", "--netns", nowhere, "-o", "");
            assertEquals(2, empty.exitCode(), empty::toString);
            assertEquals("meshcap: -o needs a file name, not an empty string", empty.err().strip());
            Path missing = dir.resolve("missing");
            CliRun noDirectory = CliRun.of("capture", "sidecar", "--netns", nowhere, "-o",
                    missing.resolve("out.pcapng").toString());
            assertEquals(2, noDirectory.exitCode(), noDirectory::toString);
            assertEquals("meshcap: -o " + missing.resolve("out.pcapng") + ": the directory " + missing
                    + " does not exist; create it first (mkdir -p " + missing + ")", noDirectory.err().strip());
            CliRun unwritable = CliRun.of("capture", "sidecar", "--netns", nowhere, "-o",
                    readOnly.resolve("out.pcapng").toString());
            assertEquals(2, unwritable.exitCode(), unwritable::toString);
            assertEquals("meshcap: -o " + readOnly.resolve("out.pcapng") + ": cannot create files in " + readOnly
                    + " (read-only file system)", unwritable.err().strip());
            CliRun demo = CliRun.of("demo", "-o", "-");
            assertEquals(2, demo.exitCode(), demo::toString);
            assertEquals("meshcap: the demo writes a file: name one with -o FILE, then open it", demo.err().strip());
        }
    }

    @Test
    void keptLegsGoToAVisibleDirectoryNamedAfterTheOutputAndNeverReplaceEarlierOnes() throws Exception {
        Path out = dir.resolve("out.pcapng");
        for (String kept : List.of("out.pcapng.legs", "out.pcapng.legs.2")) {
            Background capture = inBackground(capture("--keep-legs", "--count", "20", "-o", out.toString()));
            sendUntilEnded(capture);
            CliRun run = capture.await();
            assertEquals(0, run.exitCode(), run::toString);
            Path legs = dir.resolve(kept);
            assertTrue(run.err().contains("meshcap: the legs' own files are in " + legs), run::toString);
            List<Path> files = list(legs);
            assertEquals(1, files.size(), files.toString());
            assertEquals(20, Tshark.capinfosCount(files.get(0)));
            assertEquals(20, Tshark.capinfosCount(out));
        }
        assertEquals(List.of(out, dir.resolve("out.pcapng.legs"), dir.resolve("out.pcapng.legs.2")), list(dir),
                "nothing hidden is left");
        // Compared without white space: the help wraps lines wherever it likes.
        String help = CliRun.of("capture", "--help").out().replaceAll("\\s+", "");
        assertTrue(help.contains("inavisibledirectorybesidethemergedone,FILE.legs/(FILE.legs.2/andsoonifthatexists);"
                + "thesummarynamesit."), help);
    }

    @Test
    void aCaptureThatFillsTheDiskKeepsWhatFitAndSaysSoInOneLine() throws Exception {
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(dir, "full", "size=" + TMPFS_SIZE)) {
            Path disk = tmpfs.path();
            Path out = disk.resolve("out.pcapng");
            byte[] earlier = "an earlier capture".getBytes();
            Files.write(out, earlier);
            Background capture = inBackground(capture("--duration", "100s", "-o", out.toString()));
            // Until the capture ends: a loaded kernel's drops can leave a fixed amount short of filling the disk.
            sendUntilEnded(capture);
            CliRun run = capture.await();
            assertEquals(1, run.exitCode(), run::toString);
            Path legs = disk.resolve("out.pcapng.legs");
            List<Path> files = list(legs);
            assertEquals(1, files.size(), files.toString());
            long kept = Tshark.capinfosCount(files.get(0));
            assertTrue(kept > 0, "something fit");
            assertEquals("meshcap: no space left on device while writing leg " + namespace.name()
                    + "/lo:inbound-plain; kept " + kept + " packets in " + legs + " (merge them with: meshcap merge"
                    + " --reassociate " + legs + "/leg-* -o " + out + ")", lastLine(run.err()));
            assertFalse(run.err().contains("internal error") || run.err().contains("Exception"), run::toString);
            assertArrayEquals(earlier, Files.readAllBytes(out), "the earlier file is as it was");
            assertEquals(List.of(out, legs), list(disk), "nothing hidden is left");
        }
    }

    @Test
    void aMergeThatRunsOutOfSpaceKeepsTheLegs() throws Exception {
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(dir, "merge", "size=" + TMPFS_SIZE)) {
            Path disk = tmpfs.path();
            Path out = disk.resolve("out.pcapng");
            // The legs fit; the merged copy of them does not.
            Background capture = inBackground(capture("--max-size", "1200K", "-o", out.toString()));
            sendUntilEnded(capture);
            CliRun run = capture.await();
            assertEquals(1, run.exitCode(), run::toString);
            Path legs = disk.resolve("out.pcapng.legs");
            List<Path> files = list(legs);
            long kept = Tshark.capinfosCount(files.get(0));
            assertEquals("meshcap: no space left on device while writing " + out + "; no " + out + " was written;"
                    + " kept " + kept + " packets in " + legs + " (merge them with: meshcap merge --reassociate " + legs
                    + "/leg-* -o " + out + ")", lastLine(run.err()));
            assertEquals(List.of(legs), list(disk), "no incomplete output, nothing hidden");
        }
    }

    @Test
    void twoCapturesIntoOneFileLeaveOneWholeFile() throws Exception {
        Path out = dir.resolve("both.pcapng");
        // The same packets end both captures at once, so that they write the file at the same time; their files
        // differ (one comments the streams), so a mix of the two would not read as a capture.
        Background one = inBackground(capture("--count", Integer.toString(CONCURRENT_PACKETS), "-o", out.toString()));
        Background other = inBackground(capture("--count", Integer.toString(CONCURRENT_PACKETS), "--no-reassociate",
                "-o", out.toString()));
        sendUntilEnded(one, other);
        CliRun first = one.await();
        CliRun second = other.await();
        assertEquals(0, first.exitCode(), first::toString);
        assertEquals(0, second.exitCode(), second::toString);
        assertEquals(CONCURRENT_PACKETS, Tshark.capinfosCount(out));
        assertEquals(CONCURRENT_PACKETS, Tshark.count(out));
        assertEquals(List.of(out), list(dir), "nothing hidden is left");
    }

    @Test
    void aCaptureKilledWhileMergingLeavesTheEarlierFileOrTheWholeNewOne() throws Exception {
        Path out = dir.resolve("merging.pcapng");
        byte[] earlier = "an earlier capture".getBytes();
        Files.write(out, earlier);
        ChildMeshcap child = ChildMeshcap.start(Files.createDirectory(dir.resolve("child")),
                List.of(capture("--max-size", "24M", "-o", out.toString())));
        child.awaitErr("meshcap: capturing", CHILD_TIMEOUT);
        CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
            try {
                LoopbackTraffic.send(namespace, PORT, MANY_BYTES * 2);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        // Killed the moment the merge starts writing: its temporary file appears (or the output itself changes).
        // --max-size usually ends the capture; a loaded machine's kernel may drop enough that it never fills, and
        // then Ctrl-C once the traffic is sent starts the merge instead.
        String temporary = ".merging.pcapng.meshcap-tmp-" + child.pid() + "-";
        long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
        boolean interrupted = false;
        while (list(dir).stream().noneMatch(p -> p.getFileName().toString().startsWith(temporary))
                && Arrays.equals(earlier, Files.readAllBytes(out))) {
            assertTrue(System.nanoTime() < deadline, "the merge did not start: " + child.err());
            if (traffic.isDone() && !interrupted) {
                child.signal("INT");
                interrupted = true;
            }
            Thread.sleep(1);
        }
        child.stop(true);
        child.await(CHILD_TIMEOUT);
        traffic.get(CHILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        List<Path> left = list(dir);
        Path legs = left.stream()
                .filter(p -> p.getFileName().toString().startsWith(".merging.pcapng.meshcap-legs-" + child.pid() + "-"))
                .findFirst().orElseThrow(() -> new AssertionError("the legs are gone: " + left));
        if (!Arrays.equals(earlier, Files.readAllBytes(out))) {
            // Killed just after the rename: then the file is whole, every packet of the leg in it.
            List<Path> leg = list(legs).stream().filter(p -> p.getFileName().toString().startsWith("leg-")).toList();
            assertEquals(Tshark.capinfosCount(leg.get(0)), Tshark.capinfosCount(out), "a torn " + out);
        }
        CliRun cleanup = CliRun.of("cleanup", "--local", dir.toString());
        assertEquals(0, cleanup.exitCode(), cleanup::toString);
        assertTrue(cleanup.err().contains("meshcap: removed " + legs), cleanup::toString);
        assertTrue(list(dir).stream().noneMatch(p -> p.getFileName().toString().startsWith(".")), list(dir)::toString);
    }

    @Test
    void aKilledCaptureLeavesItsLegsForTheNextRunToReportAndCleanupToRemove() throws Exception {
        Path out = dir.resolve("killed.pcapng");
        ChildMeshcap killed = ChildMeshcap.start(Files.createDirectory(dir.resolve("child")),
                List.of(capture("-o", out.toString())));
        killed.awaitErr("meshcap: capturing", CHILD_TIMEOUT);
        LoopbackTraffic.send(namespace, PORT, 1 << 20);
        killed.signal("KILL");
        killed.await(CHILD_TIMEOUT);
        Path leftover = list(dir).stream()
                .filter(p -> p.getFileName().toString().startsWith(".killed.pcapng.meshcap-legs-" + killed.pid() + "-"))
                .findFirst().orElseThrow(() -> new AssertionError("no spool directory left"));
        // Not meshcap's, or not dead: cleanup must leave these alone.
        Path livePid = Files.createDirectory(dir.resolve(".mine.pcapng.meshcap-legs-1-abcdef"));
        Path othersUser = Files.createDirectory(dir.resolve(".theirs.pcapng.meshcap-legs-999999-abcdef"));
        CommandRunner.check("chown", List.of("chown", "65534", othersUser.toString()));
        Path otherShape = Files.createDirectory(dir.resolve(".notes.meshcap-legs-old"));
        // The right shape of name and the dead run's pid, but not meshcap's: no marker, not a capture, a link inside.
        Path unmarked = Files.createDirectory(dir.resolve(".photos.meshcap-legs-" + killed.pid() + "-abcdef"));
        Files.writeString(unmarked.resolve("leg-01.pcap"), "holiday");
        Path notACapture = Files.writeString(dir.resolve(".notes.txt.meshcap-tmp-" + killed.pid() + "-abcdef"),
                "my notes");
        Path withLink = Files.createDirectory(dir.resolve(".links.meshcap-legs-" + killed.pid() + "-abcdef"));
        Files.copy(leftover.resolve(".meshcap-spool"), withLink.resolve(".meshcap-spool"));
        Files.createSymbolicLink(withLink.resolve("leg-01.pcap"), notACapture);

        CliRun next = CliRun.of(capture("--print-plan", "-o", dir.resolve("next.pcapng").toString()));
        assertEquals(0, next.exitCode(), next::toString);
        assertTrue(next.err().contains("meshcap: note: " + leftover + " holds the legs of a capture that did not finish"
                + " (pid " + killed.pid() + ", no longer running): 1 file, "), next::toString);
        assertTrue(next.err().contains("meshcap: note: remove what runs that did not finish left here with: meshcap"
                + " cleanup --local " + dir), next::toString);
        assertEquals(1, next.err().lines().filter(line -> line.contains(" holds the legs of")).count(), next::toString);

        CliRun dryRun = CliRun.of("cleanup", "--local", "--dry-run", dir.toString());
        assertEquals("meshcap: would remove " + leftover, dryRun.err().strip());
        assertTrue(Files.exists(leftover));
        CliRun cleanup = CliRun.of("cleanup", "--local", dir.toString());
        assertEquals(0, cleanup.exitCode(), cleanup::toString);
        assertEquals("meshcap: removed " + leftover, cleanup.err().strip());
        assertFalse(Files.exists(leftover));
        for (Path notLeftOver : List.of(livePid, othersUser, otherShape, unmarked, notACapture, withLink)) {
            assertTrue(Files.exists(notLeftOver), notLeftOver + " was removed");
            assertFalse(next.err().contains(notLeftOver.toString()), next::toString);
        }
        assertEquals("holiday", Files.readString(unmarked.resolve("leg-01.pcap")));
    }
}
