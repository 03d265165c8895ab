package io.meshcap.format.pcapng;

import java.math.BigInteger;

/**
 * Converts an interface's timestamp units (if_tsresol, plus if_tsoffset seconds) to nanoseconds since
 * the epoch. if_tsresol's top bit chooses base 2 over base 10; the rest is the negative exponent.
 *
 * <p>Nanoseconds since 1970 in a signed 64-bit count reach 2262-04-11. A time outside 1970 to that day cannot be
 * held, so it is refused ({@link ArithmeticException}) rather than wrapped around.
 */
final class Timescale {

    static final int DEFAULT_TSRESOL = 6;
    private static final int BINARY_FLAG = 0x80;
    private static final int EXPONENT_MASK = 0x7f;
    /** The finest resolutions whose units per second still fit in the 64-bit count (10^19 and 2^63). */
    private static final int MAX_DECIMAL_EXPONENT = 19;
    private static final int MAX_BINARY_EXPONENT = 63;
    private static final int NANO_EXPONENT = 9;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Below this binary exponent, fraction × 10^9 still fits in a long. */
    private static final int LONG_SAFE_BINARY_EXPONENT = 33;
    private static final long[] POWERS_OF_TEN = {
        1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L,
        10_000_000_000L
    };

    private final boolean binary;
    private final int exponent;
    private final long offsetNanos;

    /**
     * @throws IllegalArgumentException when the resolution is finer than a 64-bit count of units per second
     *                                  (see {@link #isCountable})
     * @throws ArithmeticException      when the offset is beyond the nanosecond range
     */
    Timescale(int tsresol, long offsetSeconds) {
        if (!isCountable(tsresol)) {
            throw new IllegalArgumentException("if_tsresol " + tsresol);
        }
        this.binary = (tsresol & BINARY_FLAG) != 0;
        this.exponent = tsresol & EXPONENT_MASK;
        this.offsetNanos = Math.multiplyExact(offsetSeconds, NANOS_PER_SECOND);
    }

    /**
     * Whether the resolution's units per second fit in 64 bits, as the specification's readers (Wireshark among them)
     * require. A finer one is a damaged option: it would squeeze the whole range of times into seconds.
     */
    static boolean isCountable(int tsresol) {
        int exponent = tsresol & EXPONENT_MASK;
        return (tsresol & BINARY_FLAG) != 0 ? exponent <= MAX_BINARY_EXPONENT : exponent <= MAX_DECIMAL_EXPONENT;
    }

    /**
     * Timestamp units as stored in a packet block (an unsigned 64-bit count) to nanoseconds.
     *
     * @throws ArithmeticException when the time is before 1970 or after 2262-04-11
     */
    long toNanos(long units) {
        long nanos = Math.addExact(offsetNanos, binary ? binaryToNanos(units) : decimalToNanos(units));
        if (nanos < 0) {
            throw new ArithmeticException("before 1970");
        }
        return nanos;
    }

    private long decimalToNanos(long units) {
        if (exponent <= NANO_EXPONENT) {
            return Math.multiplyExact(signed(units), POWERS_OF_TEN[NANO_EXPONENT - exponent]);
        }
        return Long.divideUnsigned(units, POWERS_OF_TEN[exponent - NANO_EXPONENT]);
    }

    private long binaryToNanos(long units) {
        if (exponent == 0) {
            return Math.multiplyExact(signed(units), NANOS_PER_SECOND);
        }
        if (exponent < LONG_SAFE_BINARY_EXPONENT) {
            long seconds = units >>> exponent;
            long fraction = units & ((1L << exponent) - 1);
            return Math.addExact(Math.multiplyExact(seconds, NANOS_PER_SECOND),
                    fraction * NANOS_PER_SECOND >>> exponent);
        }
        // Rare: finer than 2^-33 s; exact arithmetic is worth its cost here.
        BigInteger unsigned = new BigInteger(Long.toUnsignedString(units));
        return unsigned.multiply(BigInteger.valueOf(NANOS_PER_SECOND)).shiftRight(exponent).longValueExact();
    }

    /** The unsigned count as a long, refusing counts of 2^63 and more (far beyond 2262 at any resolution to 1 ns). */
    private static long signed(long units) {
        if (units < 0) {
            throw new ArithmeticException("count beyond 2^63");
        }
        return units;
    }
}
