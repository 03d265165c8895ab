package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A command running in a pod through the exec API: stdout is copied to a sink by a thread of its own,
 * stderr is collected as fabric8 delivers it (so neither stream can stall the other), and the exit code
 * comes from the exec status channel.
 */
final class RemoteProcess {

    /** The exit code reported when the stream ended without a status: the connection was lost. */
    static final int NO_EXIT_STATUS = -1;
    // Enough for tcpdump's messages and counts; a chatty command cannot fill the heap.
    private static final int STDERR_LIMIT = 64 * 1024;
    private static final int COPY_CHUNK = 64 * 1024;

    private final ExecWatch watch;
    private final OutputStream sink;
    private final BoundedBuffer stderr;
    private final CountDownLatch copied = new CountDownLatch(1);
    private volatile IOException copyFailure;

    private RemoteProcess(ExecWatch watch, OutputStream sink, BoundedBuffer stderr) {
        this.watch = watch;
        this.sink = sink;
        this.stderr = stderr;
    }

    /** Wraps a started exec whose stdout is redirected and whose stderr is written into {@code stderr}. */
    static RemoteProcess start(ExecWatch watch, OutputStream sink, BoundedBuffer stderr, String threadName) {
        RemoteProcess process = new RemoteProcess(watch, sink, stderr);
        Thread copier = new Thread(process::copyStdout, threadName);
        copier.setDaemon(true);
        copier.start();
        return process;
    }

    /** A fresh stderr buffer to pass to fabric8's {@code writingError}. */
    static BoundedBuffer newStderrBuffer() {
        return new BoundedBuffer(STDERR_LIMIT);
    }

    private void copyStdout() {
        // A loop, not readAllBytes: the latter trips an assertion in fabric8's stream under -ea.
        try (InputStream out = watch.getOutput()) {
            byte[] chunk = new byte[COPY_CHUNK];
            for (int n = readOrEnd(out, chunk); n >= 0; n = readOrEnd(out, chunk)) {
                sink.write(chunk, 0, n);
            }
            sink.flush();
        } catch (IOException e) {
            copyFailure = e;
            // Nobody reads the stream any more: end the command rather than let it stall.
            watch.close();
        } finally {
            copied.countDown();
        }
    }

    /**
     * The next bytes of the command's stdout, or -1 at its end. fabric8 closes the stream under the reader when the
     * command exits non-zero; that ends the output (the exit code says what happened), it is no failure to write
     * the capture.
     */
    private static int readOrEnd(InputStream out, byte[] chunk) {
        try {
            return out.read(chunk);
        } catch (IOException streamClosed) {
            return -1;
        }
    }

    /**
     * Waits until stdout is fully copied and the exit status has arrived.
     *
     * @return the exit code ({@link #NO_EXIT_STATUS} if the stream ended without one), or null on timeout
     */
    Integer await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!copied.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return null;
        }
        CompletableFuture<Integer> exit = watch.exitCode();
        try {
            Integer code = exit.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return code == null ? NO_EXIT_STATUS : code;
        } catch (TimeoutException e) {
            // stdout ended but no status came: only a lost connection does that.
            return exit.isDone() ? NO_EXIT_STATUS : null;
        } catch (ExecutionException e) {
            return NO_EXIT_STATUS;
        }
    }

    /** Whether the command has ended: stdout fully copied and its exit status (or the hang-up) arrived. */
    boolean finished() {
        return copied.getCount() == 0 && watch.exitCode().isDone();
    }

    /** What the command printed on stderr so far. */
    String stderr() {
        return stderr.text();
    }

    /** Why copying stdout failed (the sink refused bytes), or null. */
    IOException copyFailure() {
        return copyFailure;
    }

    /** Closes the exec stream. */
    void close() {
        watch.close();
    }

    /** Collects up to a limit of bytes, then drops the rest; thread-safe. */
    static final class BoundedBuffer extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int limit;

        BoundedBuffer(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized void write(int b) {
            if (bytes.size() < limit) {
                bytes.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, Math.min(len, limit - bytes.size()));
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
