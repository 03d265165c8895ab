package io.meshcap.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * meshcap as a user runs it: the real CLI in a JVM of its own (so signals, exit codes and the JVM's own exit are
 * real), stderr kept in a file the test reads while it runs.
 */
public final class ChildMeshcap {

    private static final Duration POLL = Duration.ofMillis(20);

    private final Process process;
    private final Path stderr;

    private ChildMeshcap(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
    }

    /**
     * Starts {@code meshcap ARGS} with this JVM's classpath; stderr goes to {@code directory/stderr.txt}. SIGINT is
     * reset to its default first, as a terminal's foreground job has it: a suite started in the background of a
     * shell without job control (a script's {@code &}, some CI runners) ignores SIGINT, the JVM then installs no
     * handler for it, and Ctrl-C would not reach meshcap at all.
     */
    public static ChildMeshcap start(Path directory, List<String> args) throws IOException {
        return start(directory, List.of(), args);
    }

    /** The same, with options for the child's JVM (e.g. {@code -Djava.io.tmpdir=DIR}). */
    public static ChildMeshcap start(Path directory, List<String> jvmOptions, List<String> args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("env", "--default-signal=INT",
                ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1"));
        argv.addAll(jvmOptions);
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.meshcap.cli.Main"));
        argv.addAll(args);
        Path stderr = directory.resolve("stderr.txt");
        Process process = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile()).start();
        return new ChildMeshcap(process, stderr);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The processes it started (env execs the JVM, so these are meshcap's own). */
    public Stream<ProcessHandle> descendants() {
        return process.descendants();
    }

    /** What it has printed on stderr so far. */
    public String err() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr) : "";
    }

    /** Waits until stderr contains {@code text}; fails if it exits or the time passes first. */
    public void awaitErr(String text, Duration timeout) throws Exception {
        awaitCondition(() -> {
            try {
                return err().contains(text);
            } catch (IOException e) {
                return false;
            }
        }, timeout, "'" + text + "' on stderr");
    }

    /** Waits until {@code condition} holds; fails if meshcap exits or the time passes first. */
    public void awaitCondition(BooleanSupplier condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(process.isAlive(), "meshcap exited (" + (process.isAlive() ? "" : process.exitValue())
                    + ") before " + what + ":\n" + err());
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + timeout.toSeconds() + " s:\n" + err());
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Sends it a signal by name (INT, TERM), as kill(1) does. */
    public void signal(String name) {
        assertEquals(0, CommandRunner.run(List.of("kill", "-s", name, Long.toString(process.pid()))).exitCode());
    }

    /**
     * Sends SIGTERM ({@code forcibly}: SIGKILL) unless it has exited already: for tests that stop it at a random
     * moment, which may come after it finished. Never a stray signal to a reused pid: the JDK knows its child is gone.
     */
    public void stop(boolean forcibly) {
        if (forcibly) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
    }

    /** Waits for it to exit and returns its exit code; kills it and fails if it has not within {@code timeout}. */
    public int await(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("meshcap did not exit within " + timeout.toSeconds() + " s:\n" + err());
        }
        return process.exitValue();
    }
}
