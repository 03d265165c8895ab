package io.meshcap.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * How late a capture clock's packets reach the merge: the largest lag of the current span and the one before it,
 * spans of 5 s of monotonic time counted from the clock's first packet, 20 ms added. Monotonic times are in
 * milliseconds from an arbitrary origin, as {@link System#nanoTime()} has one; the wall clock reads {@code E}.
 */
class ArrivalLagTest {

    private static final long MS = 1_000_000L;
    /** Monotonic time of the clock's first packet: spans are counted from here, not from zero. */
    private static final long START = 1_000 * MS;
    /** The wall clock at every question: what changes the answer is the lag alone. */
    private static final long E = 1_795_333_790_000_000_000L;

    @Test
    void nothingIsKnownBeforeTheClocksFirstPacket() {
        ArrivalLag lag = new ArrivalLag();
        assertFalse(lag.known());
        assertEquals(Long.MIN_VALUE, lag.deliveredBefore(START, E));
        lag.observe(7 * MS, START);
        assertTrue(lag.known());
        assertEquals(E - 27 * MS, lag.deliveredBefore(START, E));
    }

    @Test
    void theLargestLagOfTheSpanCountsAndASmallerOneDoesNotLowerIt() {
        ArrivalLag lag = new ArrivalLag();
        lag.observe(100 * MS, START);
        lag.observe(2 * MS, START + 4_000 * MS);
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 4_999 * MS, E));
    }

    @Test
    void aLagCountsForTheSpanAfterItsOwnThenOnlyTheLaterSpansLagsCount() {
        ArrivalLag lag = new ArrivalLag();
        lag.observe(100 * MS, START);
        // The second span begins at exactly 5 s: 100 ms is last span's largest, 2 ms this span's.
        lag.observe(2 * MS, START + 5_000 * MS);
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 9_999 * MS, E));
        // At 10 s the third span begins: the second's 2 ms is the largest still counted, though none came since.
        assertEquals(E - 22 * MS, lag.deliveredBefore(START + 10_000 * MS, E));
        assertTrue(lag.known());
    }

    @Test
    void aSpanRollsOnWhenTheLagIsAskedForAsWellAsWhenAPacketArrives() {
        ArrivalLag lag = new ArrivalLag();
        lag.observe(100 * MS, START);
        lag.observe(2 * MS, START + 1_000 * MS);
        // Asked at 5.5 s: the first span (100 ms) has ended and is now the one before.
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 5_500 * MS, E));
        lag.observe(3 * MS, START + 6_000 * MS);
        // The span that began at 5.5 s ends at 10.5 s: only its 3 ms counts then, not the 100 ms of two spans ago.
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 10_499 * MS, E));
        assertEquals(E - 23 * MS, lag.deliveredBefore(START + 10_500 * MS, E));
    }

    @Test
    void aClockThatGoesQuietKeepsItsLastEstimate() {
        ArrivalLag lag = new ArrivalLag();
        lag.observe(40 * MS, START);
        assertEquals(E - 60 * MS, lag.deliveredBefore(START + 5_000 * MS, E));
        // Spans with no packet at all move nothing out: 40 ms is still the last lag seen, a minute later.
        assertEquals(E - 60 * MS, lag.deliveredBefore(START + 6_000 * MS, E));
        assertEquals(E - 60 * MS, lag.deliveredBefore(START + 60_000 * MS, E));
        assertTrue(lag.known());
    }

    @Test
    void aQuietSpanAfterARollKeepsItsStartUntilAPacketComes() {
        ArrivalLag lag = new ArrivalLag();
        lag.observe(100 * MS, START);
        // At 5 s the span rolls with no packet in the new one; a look at 6 s does not start it again.
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 5_000 * MS, E));
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 6_000 * MS, E));
        lag.observe(2 * MS, START + 7_000 * MS);
        // The span that began at 5 s ends at 10 s: its 2 ms is then the largest counted.
        assertEquals(E - 120 * MS, lag.deliveredBefore(START + 9_999 * MS, E));
        assertEquals(E - 22 * MS, lag.deliveredBefore(START + 10_000 * MS, E));
    }
}
