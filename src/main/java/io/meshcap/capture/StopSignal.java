package io.meshcap.capture;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C and SIGTERM into an orderly stop: the signal only asks the capture to stop, then the JVM
 * waits (up to {@link #FLUSH_TIMEOUT}) until the work that owns this signal has flushed, merged and cleaned
 * up, and {@link #close()}d it. Registered once per run; closing it also unregisters the hook.
 */
public final class StopSignal implements AutoCloseable {

    /** How long a signalled shutdown waits for the capture to flush and merge. */
    public static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal(boolean onTermination) {
        hook = new Thread(this::stopAndWait, "meshcap-stop");
        if (onTermination) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** A stop signal raised by Ctrl-C (SIGINT), SIGTERM or SIGHUP. */
    public static StopSignal onTermination() {
        return new StopSignal(true);
    }

    /** A stop signal raised only by {@link #requestStop()}, for tests and embedding. */
    public static StopSignal manual() {
        return new StopSignal(false);
    }

    private void stopAndWait() {
        stopRequested.countDown();
        try {
            finished.await(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the capture to stop, as a signal would. */
    public void requestStop() {
        stopRequested.countDown();
    }

    public boolean stopRequested() {
        return stopRequested.getCount() == 0;
    }

    /** Waits up to {@code timeout} for a stop request; true if one came. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopRequested.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The owner has finished: a pending shutdown may proceed, and the hook is no longer needed. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrManual) {
            // Either the JVM is exiting because of the signal (the hook is running), or it was never added.
        }
    }
}
