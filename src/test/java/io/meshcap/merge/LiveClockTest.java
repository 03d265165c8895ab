package io.meshcap.merge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The machine's clocks as a live merge reads them, against the JDK's own millisecond and nanosecond clocks. */
class LiveClockTest {

    private static final long NANOS_PER_MILLI = 1_000_000L;

    @Test
    void theWallClockIsNanosecondsSinceTheEpochWithinTheMillisecondsAroundIt() {
        // Several readings: one that falls on a whole second, nanoseconds 0, could not tell their sign apart.
        for (int i = 0; i < 20; i++) {
            long before = System.currentTimeMillis() * NANOS_PER_MILLI;
            long epochNanos = LiveClock.SYSTEM.epochNanos();
            long after = (System.currentTimeMillis() + 1) * NANOS_PER_MILLI;
            assertTrue(before <= epochNanos && epochNanos < after,
                    epochNanos + " not between " + before + " and " + after);
        }
    }

    @Test
    void theMonotonicClockIsTheJvms() {
        long before = System.nanoTime();
        long now = LiveClock.SYSTEM.nanoTime();
        long after = System.nanoTime();
        assertTrue(before <= now && now <= after, now + " not between " + before + " and " + after);
    }
}
