package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.OutputFormat;
import io.meshcap.testing.ChildMeshcap;
import io.meshcap.testing.RandomCapture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merges stopped by SIGTERM or SIGKILL at random moments, and two merges into one file at once, in JVMs of their
 * own: the output is always either the old file or a whole new one, never a torn mix, and what a killed run leaves
 * is found by the next run and removed by {@code meshcap cleanup --local}.
 */
class InterruptedMergeTest {

    private static final int PACKETS = 160_000;
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(120);
    private static final int TRIALS = 6;
    private static final int MAX_DELAY_MILLIS = 700;

    @TempDir
    Path dir;

    private Path capture(String name, int packets, long seed) {
        return RandomCapture.write(dir.resolve(name), OutputFormat.PCAPNG, packets, seed);
    }

    private static String digest(Path file) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code meshcap merge INPUTS -o OUT} in a JVM of its own; its stderr goes to a directory of its own. */
    private ChildMeshcap merge(Path out, Path... inputs) throws IOException {
        List<String> args = new ArrayList<>(List.of("merge"));
        for (Path input : inputs) {
            args.add(input.toString());
        }
        args.addAll(List.of("-o", out.toString()));
        return ChildMeshcap.start(Files.createTempDirectory(dir, "run"), args);
    }

    private List<Path> hiddenFiles() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The temporary output a merge process names after itself. */
    private List<Path> hiddenFilesOf(ChildMeshcap meshcap) {
        String prefix = ".out.pcapng.meshcap-tmp-" + meshcap.pid() + "-";
        return hiddenFiles().stream().filter(f -> f.getFileName().toString().startsWith(prefix)).toList();
    }

    @Test
    void aMergeStoppedAtARandomMomentLeavesTheOldFileOrTheWholeNewOne() throws Exception {
        Path input = capture("legs.pcapng", PACKETS, 1);
        Path reference = dir.resolve("reference.pcapng");
        assertEquals(0, merge(reference, input, input).await(EXIT_TIMEOUT));
        Path old = capture("old.pcapng", 3, 2);
        Set<String> allowed = Set.of(digest(old), digest(reference));
        Path out = dir.resolve("out.pcapng");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int killed = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            boolean term = trial % 2 == 0;
            String what = "trial " + trial + " (seed " + seed + ", " + (term ? "SIGTERM" : "SIGKILL") + ")";
            Files.copy(old, out, StandardCopyOption.REPLACE_EXISTING);
            ChildMeshcap meshcap = merge(out, input, input);
            String oldDigest = digest(old);
            // Writing has begun: its temporary file exists, or (as mergecap writes) the output itself changed.
            meshcap.awaitCondition(() -> !hiddenFilesOf(meshcap).isEmpty() || !oldDigest.equals(digest(out)),
                    EXIT_TIMEOUT, "the merge writing");
            Thread.sleep(random.nextInt(MAX_DELAY_MILLIS));
            meshcap.stop(!term);
            int exit = meshcap.await(EXIT_TIMEOUT);
            assertTrue(allowed.contains(digest(out)), what + ": " + out + " is neither the old file nor the whole new"
                    + " one; meshcap exited " + exit + ", said: " + meshcap.err());
            if (term) {
                assertEquals(List.of(), hiddenFilesOf(meshcap), what + ": SIGTERM left a temporary file");
                // Stopped before the new file was in place (a signal after that ends the JVM with nothing to say).
                if (exit != 0 && digest(out).equals(oldDigest)) {
                    assertTrue(meshcap.err().contains("meshcap: stopped before " + out + " was complete; " + out
                            + " is unchanged"), what + ": " + meshcap.err());
                }
            } else {
                // At most its temporary output; none when it was killed after renaming it into place.
                List<Path> own = hiddenFilesOf(meshcap);
                assertTrue(own.size() <= 1, what + ": " + own);
                killed += own.size();
            }
        }
        List<Path> left = hiddenFiles();
        assertEquals(killed, left.size(), left.toString());
        if (!left.isEmpty()) {
            CliRun next = CliRun.of("merge", old.toString(), "-o", dir.resolve("next.pcapng").toString());
            assertEquals(0, next.exitCode(), next::toString);
            for (Path leftover : left) {
                assertTrue(next.err().contains("meshcap: note: " + leftover + " is the incomplete output of a run that"
                        + " did not finish (pid "), next::toString);
            }
            assertTrue(next.err().contains("meshcap cleanup --local " + dir), next::toString);
            CliRun cleanup = CliRun.of("cleanup", "--local", dir.toString());
            assertEquals(0, cleanup.exitCode(), cleanup::toString);
            assertEquals(left.stream().map(path -> "meshcap: removed " + path).toList(), cleanup.err().lines().toList());
            assertEquals(List.of(), hiddenFiles());
        }
    }

    @Test
    void twoMergesIntoOneFileLeaveOneOfTheTwoWholeResults() throws Exception {
        Path a = capture("a.pcapng", PACKETS, 3);
        Path b = capture("b.pcapng", PACKETS * 3 / 4, 4);
        Path referenceA = dir.resolve("reference-a.pcapng");
        Path referenceB = dir.resolve("reference-b.pcapng");
        ChildMeshcap first = merge(referenceA, a);
        ChildMeshcap second = merge(referenceB, b);
        assertEquals(0, first.await(EXIT_TIMEOUT));
        assertEquals(0, second.await(EXIT_TIMEOUT));
        Set<String> whole = Set.of(digest(referenceA), digest(referenceB));
        Path out = dir.resolve("out.pcapng");
        for (int round = 0; round < 3; round++) {
            ChildMeshcap one = merge(out, a);
            ChildMeshcap other = merge(out, b);
            assertEquals(0, one.await(EXIT_TIMEOUT), one.err());
            assertEquals(0, other.await(EXIT_TIMEOUT), other.err());
            assertTrue(whole.contains(digest(out)), "round " + round + ": a torn file");
            assertEquals(List.of(), hiddenFiles());
        }
    }
}
