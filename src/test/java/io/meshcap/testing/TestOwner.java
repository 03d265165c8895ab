package io.meshcap.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * The test JVM that made a lab or a scratch namespace: its pid and start time, written in a file beside what it
 * made. A PIT run that times out kills its test JVM mid-test, before any clean-up (afterAll, close, a shutdown hook)
 * runs, and leaves the lab or namespace behind; the next test that makes one removes what such a dead JVM left,
 * and never what a live run (another suite on the same machine) still uses.
 *
 * @param pid   the owner's process id
 * @param start when the owner started, so that a pid the kernel has given to a new process does not count as alive
 */
public record TestOwner(long pid, Instant start) {

    /** The kernel counts a process's start in clock ticks; two readings of it may differ by their rounding. */
    private static final long START_TOLERANCE_MILLIS = 1_000;

    /** This JVM. */
    public static TestOwner current() {
        ProcessHandle self = ProcessHandle.current();
        return new TestOwner(self.pid(), self.info().startInstant().orElseThrow());
    }

    /** The owner recorded in {@code file}, if it holds one (a file being written or already removed holds none). */
    public static Optional<TestOwner> readFrom(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<TestOwner> parse(String text) {
        String[] fields = text.strip().split(" ");
        try {
            return Optional.of(new TestOwner(Long.parseLong(fields[0]), Instant.ofEpochMilli(Long.parseLong(fields[1]))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Records this owner in {@code file}, whole or not at all (written beside it, then renamed). */
    public void writeTo(Path file) {
        Path partial = file.resolveSibling(file.getFileName() + ".partial-" + pid);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(partial, pid + " " + start.toEpochMilli() + "\n");
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the owner still runs: its pid is alive and was started when the owner was. */
    public boolean alive() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).flatMap(process -> process.info().startInstant())
                .filter(started -> Math.abs(started.toEpochMilli() - start.toEpochMilli()) <= START_TOLERANCE_MILLIS)
                .isPresent();
    }

    /**
     * Runs {@code remove} if {@code file} names an owner that is gone, and returns whether it did. The file is locked
     * meanwhile, so two JVMs that sweep at once do not remove the same leftover together; {@code remove} must also
     * do for a leftover already removed or half made.
     */
    public static boolean sweepIfGone(Path file, Runnable remove) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            if (lock == null || !Files.exists(file)) {
                // Another sweeper holds it, or removed the leftover and its record after this one opened it.
                return false;
            }
            ByteBuffer content = ByteBuffer.allocate((int) Math.min(channel.size(), 256));
            channel.read(content, 0);
            Optional<TestOwner> owner = parse(new String(content.array(), 0, content.position(),
                    StandardCharsets.US_ASCII));
            if (owner.isEmpty() || owner.get().alive()) {
                return false;
            }
            remove.run();
            return true;
        } catch (NoSuchFileException | OverlappingFileLockException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
