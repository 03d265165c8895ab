package io.meshcap.capture.local;

import io.meshcap.sys.NetworkNamespace;
import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.TcpdumpArgv;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw MeshcapException.failure("cannot run nsenter/tcpdump (" + e.getMessage()
                    + "); install them with: apt-get install -y tcpdump util-linux");
        }
        running.add(process);
        process.getOutputStream().close();
        CompletableFuture<Void> copy = CompletableFuture.runAsync(() -> pump(process.getInputStream(), sink), IO);
        StderrWatcher stderr = new StderrWatcher(process.getErrorStream());
        if (!stderr.awaitListening(START_TIMEOUT)) {
            process.destroyForcibly();
            running.remove(process);
            throw MeshcapException.failure("leg " + leg.label() + ": tcpdump did not start: " + stderr.text().strip());
        }
        return new ProcessLeg(process, copy, stderr);
    }

    private static void pump(InputStream from, OutputStream to) {
        try (from) {
            from.transferTo(to);
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

    /** Reads tcpdump's stderr on its own thread, so a full pipe can never stall the capture. */
    private static final class StderrWatcher {

        private final StringBuffer text = new StringBuffer();
        private final CompletableFuture<Boolean> listening = new CompletableFuture<>();
        private final CompletableFuture<Void> done;

        StderrWatcher(InputStream stderr) {
            done = CompletableFuture.runAsync(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        text.append(line).append('\n');
                        if (line.contains(LISTENING)) {
                            listening.complete(true);
                        }
                    }
                } catch (IOException e) {
                    text.append(e.getMessage());
                } finally {
                    listening.complete(false);
                }
            }, IO);
        }

        boolean awaitListening(Duration timeout) {
            try {
                return listening.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                return false;
            }
        }

        String text() {
            done.join();
            return text.toString();
        }
    }

    private final class ProcessLeg implements LegCapture {

        private final Process process;
        private final CompletableFuture<Void> copy;
        private final StderrWatcher stderr;

        ProcessLeg(Process process, CompletableFuture<Void> copy, StderrWatcher stderr) {
            this.process = process;
            this.copy = copy;
            this.stderr = stderr;
        }

        @Override
        public void stop() {
            process.destroy();
        }

        @Override
        public LegOutcome await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return null;
            }
            running.remove(process);
            copy.exceptionally(e -> null).join();
            String said = stderr.text();
            Matcher dropped = DROPPED.matcher(said);
            long drops = dropped.find() ? Long.parseLong(dropped.group(1)) : -1;
            // tcpdump exits 0 on SIGTERM after a clean flush; anything else is its own failure.
            int exit = process.exitValue();
            return new LegOutcome(exit, drops, exit == 0 ? "" : said.strip());
        }
    }
}
