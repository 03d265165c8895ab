package io.meshcap.format.pcapng;

import java.math.BigInteger;

/**
 * Converts an interface's timestamp units (if_tsresol, plus if_tsoffset seconds) to nanoseconds since
 * the epoch. if_tsresol's top bit chooses base 2 over base 10; the rest is the negative exponent.
 */
final class Timescale {

    static final int DEFAULT_TSRESOL = 6;
    private static final int BINARY_FLAG = 0x80;
    private static final int EXPONENT_MASK = 0x7f;
    private static final int NANO_EXPONENT = 9;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Below this binary exponent, fraction × 10^9 still fits in a long. */
    private static final int LONG_SAFE_BINARY_EXPONENT = 33;
    private static final long[] POWERS_OF_TEN = {
        1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L,
        10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L, 10_000_000_000_000L, 100_000_000_000_000L,
        1_000_000_000_000_000L, 10_000_000_000_000_000L, 100_000_000_000_000_000L, 1_000_000_000_000_000_000L
    };

    private final boolean binary;
    private final int exponent;
    private final long offsetNanos;

    Timescale(int tsresol, long offsetSeconds) {
        this.binary = (tsresol & BINARY_FLAG) != 0;
        this.exponent = tsresol & EXPONENT_MASK;
        this.offsetNanos = offsetSeconds * NANOS_PER_SECOND;
    }

    /** Timestamp units as stored in a packet block (an unsigned 64-bit count) to nanoseconds. */
    long toNanos(long units) {
        return offsetNanos + (binary ? binaryToNanos(units) : decimalToNanos(units));
    }

    private long decimalToNanos(long units) {
        if (exponent <= NANO_EXPONENT) {
            return units * POWERS_OF_TEN[NANO_EXPONENT - exponent];
        }
        int divisorExponent = exponent - NANO_EXPONENT;
        return divisorExponent < POWERS_OF_TEN.length ? Long.divideUnsigned(units, POWERS_OF_TEN[divisorExponent]) : 0;
    }

    private long binaryToNanos(long units) {
        if (exponent == 0) {
            return units * NANOS_PER_SECOND;
        }
        if (exponent < LONG_SAFE_BINARY_EXPONENT) {
            long seconds = units >>> exponent;
            long fraction = units & ((1L << exponent) - 1);
            return seconds * NANOS_PER_SECOND + (fraction * NANOS_PER_SECOND >>> exponent);
        }
        // Rare: finer than 2^-33 s; exact arithmetic is worth its cost here.
        BigInteger unsigned = new BigInteger(Long.toUnsignedString(units));
        return unsigned.multiply(BigInteger.valueOf(NANOS_PER_SECOND)).shiftRight(exponent).longValue();
    }
}
