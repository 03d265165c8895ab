package io.meshcap.capture.local;

import com.sun.jna.LastErrorException;
import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.TcpdumpArgv;
import io.meshcap.sys.Libc;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs each leg as a tcpdump subprocess inside a local network namespace ({@code nsenter --net}), with the
 * same argv that runs in a pod through the Kubernetes API.
 */
public final class TcpdumpCaptureSource implements CaptureSource {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern DROPPED = Pattern.compile("(\\d+) packets? dropped by kernel");
    private static final String LISTENING = "listening on";
    private static final int PUMP_CHUNK = 256 << 10;

    // Copying streams blocks; the common pool has a single thread on a two-core machine.
    private static final ExecutorService IO = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "meshcap-tcpdump-io");
        thread.setDaemon(true);
        return thread;
    });

    private final NetworkNamespace namespace;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();

    public TcpdumpCaptureSource(NetworkNamespace namespace) {
        this.namespace = namespace;
    }

    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
        List<String> argv = namespace.enter(TcpdumpArgv.of(leg));
        StderrFile stderr = new StderrFile();
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectError(stderr.file.toFile()).start();
        } catch (IOException e) {
            throw MeshcapException.failure("cannot run nsenter/tcpdump (" + e.getMessage()
                    + "); install them with: apt-get install -y tcpdump util-linux");
        }
        running.add(process);
        process.getOutputStream().close();
        CompletableFuture<Void> copy = CompletableFuture.runAsync(() -> pump(process.getInputStream(), sink), IO);
        if (!stderr.awaitListening(process, START_TIMEOUT)) {
            process.destroyForcibly();
            running.remove(process);
            throw MeshcapException.failure("leg " + leg.label() + ": tcpdump did not start: " + stderr.finish().strip());
        }
        return new ProcessLeg(process, copy, stderr);
    }

    /** tcpdump prints its counts on SIGUSR1 and again when it ends: the last figure is the current one. */
    static OptionalLong lastDropCount(String stderr) {
        Matcher dropped = DROPPED.matcher(stderr);
        OptionalLong last = OptionalLong.empty();
        while (dropped.find()) {
            last = OptionalLong.of(Long.parseLong(dropped.group(1)));
        }
        return last;
    }

    private static void pump(InputStream from, OutputStream to) {
        // Larger than transferTo's 8 KiB, so a busy leg is drained in few reads and the pipe never fills.
        byte[] chunk = new byte[PUMP_CHUNK];
        try (from) {
            for (int n = from.read(chunk); n >= 0; n = from.read(chunk)) {
                to.write(chunk, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops every tcpdump still running; they flush and exit on SIGTERM. */
    @Override
    public void close() {
        for (Process process : running) {
            process.destroy();
        }
        for (Process process : running) {
            try {
                if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
    }

    /**
     * tcpdump's stderr, redirected to a private file. Reading the pipe instead races with the JDK, which drains
     * and closes a child's pipes when it exits: the reader then fails with "Stream closed" and the final
     * statistics (the drop count) are lost.
     */
    private static final class StderrFile {

        private static final Duration POLL = Duration.ofMillis(20);
        private final Path file;
        private long linesRead;

        StderrFile() throws IOException {
            file = Files.createTempFile("meshcap-tcpdump-", ".log",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }

        boolean awaitListening(Process process, Duration timeout) throws IOException {
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                if (text().contains(LISTENING)) {
                    return true;
                }
                if (!process.isAlive()) {
                    return false;
                }
                try {
                    Thread.sleep(POLL.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return false;
        }

        String text() throws IOException {
            return Files.readString(file, StandardCharsets.UTF_8);
        }

        /**
         * The whole lines written since the last call: a long capture answers a SIGUSR1 every second, so reading
         * the whole file each time would grow with the capture's length.
         */
        String newLines() throws IOException {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer unread = ByteBuffer.allocate((int) Math.max(0, channel.size() - linesRead));
                channel.read(unread, linesRead);
                String text = new String(unread.array(), 0, unread.position(), StandardCharsets.UTF_8);
                String whole = text.substring(0, text.lastIndexOf('\n') + 1);
                linesRead += whole.getBytes(StandardCharsets.UTF_8).length;
                return whole;
            }
        }

        /** The whole text, once the process has exited; the file is removed. */
        String finish() {
            try {
                return text();
            } catch (IOException e) {
                return "(tcpdump's messages could not be read: " + e.getMessage() + ")";
            } finally {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // A leftover private temp file is harmless.
                }
            }
        }
    }

    private final class ProcessLeg implements LegCapture {

        private final Process process;
        private final CompletableFuture<Void> copy;
        private final StderrFile stderr;
        private OptionalLong lastSaid = OptionalLong.empty();

        ProcessLeg(Process process, CompletableFuture<Void> copy, StderrFile stderr) {
            this.process = process;
            this.copy = copy;
            this.stderr = stderr;
        }

        @Override
        public void stop() {
            process.destroy();
        }

        /**
         * The drop count tcpdump printed last, after asking it for a new one with SIGUSR1 (nsenter execs tcpdump,
         * so the process is tcpdump itself; it was signalled only once it listened, so its handler is in place).
         */
        @Override
        public OptionalLong droppedSoFar() {
            try {
                OptionalLong said = lastDropCount(stderr.newLines());
                if (said.isPresent()) {
                    lastSaid = said;
                }
            } catch (IOException e) {
                // The figure stays the last one read; the final count comes from await().
            }
            if (process.isAlive()) {
                try {
                    Libc.C.kill((int) process.pid(), Libc.SIGUSR1);
                } catch (LastErrorException exited) {
                    // It ended between the check and the signal; its final count follows in await().
                }
            }
            return lastSaid;
        }

        @Override
        public LegOutcome await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return null;
            }
            running.remove(process);
            copy.exceptionally(e -> null).join();
            String said = stderr.finish();
            long drops = lastDropCount(said).orElse(-1);
            // tcpdump exits 0 on SIGTERM after a clean flush; anything else is its own failure.
            int exit = process.exitValue();
            return new LegOutcome(exit, drops, exit == 0 ? "" : said.strip());
        }
    }
}
