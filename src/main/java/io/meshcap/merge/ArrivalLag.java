package io.meshcap.merge;

import java.util.concurrent.TimeUnit;

/**
 * How far behind the wall clock the packets of one capture clock reach the merge: arrival time minus capture
 * timestamp, the largest seen lately. It holds the capturer's delivery delay (kernel, capturer, pipe or exec stream,
 * spool) and any offset between the target's clock and this machine's, so it needs no synchronised clocks.
 *
 * <p>An input of this clock that has handed over everything it captured, with nothing queued, has then delivered
 * every packet stamped before {@code now - lag - margin}: a packet stamped earlier would arrive later than any seen
 * lately. The largest lag is kept over the last one to two spans, so a slow moment (a loaded machine, a stalled exec
 * stream) widens the bound at once and stops counting a few seconds after it has passed; a clock that goes quiet
 * keeps its last estimate.
 */
final class ArrivalLag {

    /** Added to the largest lag seen: a packet may be later than any seen so far. */
    static final long MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long a lag counts once it is no longer the largest of the current span. */
    static final long SPAN_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long NONE = Long.MIN_VALUE;

    private long spanStart;
    private long current = NONE;
    private long previous = NONE;

    /** A packet stamped {@code lag} nanoseconds before the wall clock arrived at monotonic time {@code now}. */
    void observe(long lag, long now) {
        roll(now);
        current = Math.max(current, lag);
    }

    /** Whether a packet of this clock has arrived yet: until then nothing is known of its lag. */
    boolean known() {
        return current != NONE || previous != NONE;
    }

    /**
     * The capture time before which a caught-up input of this clock can send nothing more (late packets aside), or
     * {@link Long#MIN_VALUE} while no packet of this clock has arrived.
     *
     * @param now       monotonic time
     * @param epochNow  wall-clock time
     */
    long deliveredBefore(long now, long epochNow) {
        roll(now);
        long largest = Math.max(current, previous);
        return largest == NONE ? Long.MIN_VALUE : epochNow - largest - MARGIN_NANOS;
    }

    private void roll(long now) {
        if (current == NONE && previous == NONE) {
            spanStart = now;
        } else if (now - spanStart >= SPAN_NANOS) {
            if (current != NONE) {
                previous = current;
            }
            current = NONE;
            spanStart = now;
        }
    }
}
