package io.meshcap.capture;

import io.meshcap.MeshcapException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns Ctrl-C, SIGTERM and SIGHUP into an orderly stop. The first signal only asks the work to stop and says
 * what stopping involves; the work then finishes on its own thread (stops its legs, merges, writes what it
 * learnt, removes what it created) and the process exits as usual. A second signal abandons that: meshcap says
 * what may be left and how to remove it, and exits at once.
 *
 * <p>The signals are taken from the JVM (rather than run as shutdown hooks) because a JVM that is shutting down
 * ignores every further signal and exits as soon as its hooks return, whatever the work still had to do.
 * Closing the stop signal gives the signals back.
 */
public final class StopSignal implements AutoCloseable {

    private static final List<String> SIGNALS = List.of("INT", "TERM", "HUP");

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final AtomicInteger received = new AtomicInteger();
    private final PrintWriter err;
    private final IntConsumer abandon;
    private final Map<Signal, SignalHandler> replaced = new LinkedHashMap<>();
    private volatile Supplier<String> stopping = () -> "the capture ends and what was captured is kept";
    private volatile Supplier<String> mayBeLeft = () -> "";
    private volatile Supplier<String> removeWith = () -> "";

    private StopSignal(PrintWriter err, IntConsumer abandon) {
        this.err = err;
        this.abandon = abandon;
    }

    /**
     * A stop signal raised by Ctrl-C (SIGINT), SIGTERM or SIGHUP, announcing on {@code err}. A signal the process
     * was started with ignored (SIGINT of a background job, SIGHUP under nohup) stays ignored.
     */
    public static StopSignal onTermination(PrintWriter err) {
        // No shutdown hooks are left to run; halt does not wait for the threads still cleaning up.
        return onTermination(err, Runtime.getRuntime()::halt);
    }

    /**
     * {@link #onTermination(PrintWriter)} that abandons the work at a second signal with {@code abandon}, given the
     * exit status (a test's instead of the JVM's halt, which would end the test run).
     */
    static StopSignal onTermination(PrintWriter err, IntConsumer abandon) {
        StopSignal stop = new StopSignal(err, abandon);
        for (String name : SIGNALS) {
            Signal signal = new Signal(name);
            try {
                stop.replaced.put(signal, Signal.handle(signal, stop::received));
            } catch (IllegalArgumentException ignoredOrReserved) {
                // Ignored from the start, or kept by the JVM (-Xrs): leave it as it is.
            }
        }
        return stop;
    }

    /** A stop signal raised only by {@link #requestStop()}, for tests and embedding. */
    public static StopSignal manual() {
        return new StopSignal(null, status -> { });
    }

    /**
     * What the announcements say, each asked at the moment a signal arrives.
     *
     * @param whatStoppingDoes e.g. "meshcap stops and removes node pod shop/meshcap-node-x"
     * @param whatMayBeLeft    what stays behind if that is abandoned, or empty when nothing would
     * @param howToRemoveIt    the command that removes it later, or empty
     */
    public void explainWith(Supplier<String> whatStoppingDoes, Supplier<String> whatMayBeLeft,
            Supplier<String> howToRemoveIt) {
        this.stopping = whatStoppingDoes;
        this.mayBeLeft = whatMayBeLeft;
        this.removeWith = howToRemoveIt;
    }

    private void received(Signal signal) {
        String remove = removeWith.get();
        if (received.incrementAndGet() == 1) {
            requestStop();
            err.println(System.lineSeparator() + "meshcap: SIG" + signal.getName() + ": stopping: " + stopping.get()
                    + "; press Ctrl-C again to abandon that" + (remove.isEmpty() ? "" : " (then run: " + remove + ")"));
            err.flush();
            return;
        }
        String left = mayBeLeft.get();
        err.println("meshcap: SIG" + signal.getName() + " again: abandoned" + (left.isEmpty() ? ""
                : "; may be left: " + left + (remove.isEmpty() ? "" : "; remove with: " + remove)));
        err.flush();
        abandon.accept(MeshcapException.Kind.FAILURE.exitCode());
    }

    /** Asks the work to stop, as a signal would. */
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

    /**
     * For work that can give up half-way (set-up, reading a pod): fails when a stop was requested, so what was
     * created so far is removed on the way out.
     *
     * @param during what was being done, e.g. "setting up the capture in pod shop/reviews"
     */
    public void checkNotStopped(String during) {
        if (stopRequested()) {
            throw MeshcapException.failure("stopped while " + during);
        }
    }

    /** The owner has finished: the signals act as they did before. */
    @Override
    public void close() {
        replaced.forEach(Signal::handle);
        replaced.clear();
    }
}
