package io.meshcap.merge;

import java.time.Instant;

/**
 * The time a live merge goes by: a monotonic clock for how long packets have waited, and the wall clock that
 * capturers stamp packets with, for how far a capture clock has advanced. Tests drive both by hand.
 */
public interface LiveClock {

    /** This machine's clocks. */
    LiveClock SYSTEM = new LiveClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long epochNanos() {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }
    };

    /** Monotonic time, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Wall-clock time in nanoseconds since the epoch: the scale of packet timestamps. */
    long epochNanos();
}
