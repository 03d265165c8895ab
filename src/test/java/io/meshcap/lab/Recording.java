package io.meshcap.lab;

import io.meshcap.testing.TcpdumpCounts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An unfiltered tcpdump recording ({@code -s 0}, no filter) of one interface in a network namespace, for tests
 * that compare captures with a {@link Ledger}. {@link #start} returns once tcpdump reports it is listening;
 * {@link #stop} ends it with SIGINT, so tcpdump flushes and closes the file properly. The file is created 0600
 * before tcpdump opens it (captures hold private data); tcpdump keeps an existing file's mode.
 */
public final class Recording implements AutoCloseable {

    private static final long LISTENING_TIMEOUT_SECONDS = 10;
    private static final long EXIT_TIMEOUT_SECONDS = 10;
    /**
     * Packets a test's last connection sent are already queued on tcpdump's socket when the test calls stop(), but
     * tcpdump may not have read them yet, and SIGINT makes it stop reading: it is stopped only once its own counts
     * say it has caught up, however long a loaded machine kept it waiting.
     */
    private static final long CATCH_UP_SECONDS = 120;
    /**
     * 32 MiB of kernel ring, where libpcap's default 2 MiB is eight snaplen-sized blocks: a tcpdump not scheduled
     * for a few milliseconds had the kernel drop most of a burst.
     */
    private static final String RING_KIB = "32768";

    private final Process process;
    private final String iface;
    private final Path file;
    private final List<String> stderr;
    /** tcpdump's counts once it listened (see {@link TcpdumpCounts}). */
    private final TcpdumpCounts baseline;
    private boolean stopped;

    private Recording(Process process, String iface, Path file, List<String> stderr, TcpdumpCounts baseline) {
        this.process = process;
        this.iface = iface;
        this.file = file;
        this.stderr = stderr;
        this.baseline = baseline;
    }

    /** The tcpdump argv (pure): immediate mode so packets are written as they arrive; -Z root keeps the file ours. */
    static List<String> argv(String namespace, String iface, Path file) {
        return List.of("ip", "netns", "exec", namespace, "tcpdump", "-i", iface, "-s", "0", "-B", RING_KIB, "-U",
                "--immediate-mode", "-Z", "root", "-w", file.toString());
    }

    public static Recording start(String namespace, String iface, Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Process process = new ProcessBuilder(argv(namespace, iface, file))
                .redirectInput(Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(Redirect.DISCARD)
                .start();
        List<String> stderr = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    stderr.add(line);
                    if (line.contains("listening on")) {
                        listening.complete(null);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                listening.complete(null);
            }
        }, "tcpdump-" + iface);
        reader.setDaemon(true);
        reader.start();
        try {
            listening.get(LISTENING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            process.destroyForcibly();
            throw new IOException("tcpdump on " + namespace + "/" + iface + " did not start listening: " + stderr, e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting tcpdump", e);
        }
        if (!process.isAlive()) {
            throw new IOException("tcpdump on " + namespace + "/" + iface + " exited: " + stderr);
        }
        TcpdumpCounts baseline;
        try {
            baseline = TcpdumpCounts.ask(process, () -> String.join("\n", stderr), LISTENING_TIMEOUT_SECONDS);
        } catch (IOException | RuntimeException | Error e) {
            process.destroyForcibly();
            throw e;
        }
        return new Recording(process, iface, file, stderr, baseline);
    }

    public Path file() {
        return file;
    }

    /** What tcpdump printed on stderr so far (its listening line, and after stop its packet counts). */
    public List<String> messages() {
        return List.copyOf(stderr);
    }

    /** Stops tcpdump with SIGINT and waits until it has closed the file. Safe to call twice. */
    public void stop() throws IOException {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            TcpdumpCounts counts = TcpdumpCounts.awaitSettled(process, () -> String.join("\n", stderr), iface,
                    baseline, CATCH_UP_SECONDS);
            if (counts != null && counts.dropped() > 0) {
                throw new IOException("tcpdump on " + iface + " lost " + counts.dropped() + " packets (dropped by the "
                        + "kernel): the recording is incomplete");
            }
            // ip netns exec execs tcpdump in place, so the child's pid is tcpdump's.
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
            kill.waitFor();
            if (!process.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("tcpdump writing " + file + " did not stop on SIGINT: " + stderr);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping tcpdump", e);
        }
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
