package io.meshcap.capture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Stops many legs at once under one deadline. Stopping a leg can take a while (a pod's tcpdump is signalled
 * through a second exec, then flushes); one leg after the other, a capture of many legs on a slow API would
 * take that many times as long to end.
 */
public final class LegStops {

    private static final Duration POLL = Duration.ofMillis(100);

    private LegStops() {
    }

    /**
     * Asks every leg to stop, each on a thread of its own, and waits for them until {@code deadline} has passed.
     *
     * @return each leg's outcome, in order; null for a leg that had not ended by then
     */
    public static List<LegCapture.LegOutcome> stopAll(List<? extends LegCapture> legs, Duration deadline)
            throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        for (LegCapture leg : legs) {
            Thread stopper = new Thread(leg::stop, "meshcap-stop-leg");
            // A leg that cannot be stopped must not keep meshcap from exiting.
            stopper.setDaemon(true);
            stopper.start();
        }
        List<LegCapture.LegOutcome> outcomes = new ArrayList<>();
        for (LegCapture leg : legs) {
            // Asked in short slices: a leg that answers at once (not yet stopped) is asked again until the deadline.
            LegCapture.LegOutcome outcome = leg.await(Duration.ZERO);
            for (long left = end - System.nanoTime(); outcome == null && left > 0; left = end - System.nanoTime()) {
                outcome = leg.await(Duration.ofNanos(Math.min(left, POLL.toNanos())));
            }
            outcomes.add(outcome);
        }
        return outcomes;
    }
}
