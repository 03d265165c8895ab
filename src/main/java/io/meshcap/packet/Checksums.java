package io.meshcap.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): a full computation over bytes, and the incremental update of RFC 1624 for
 * when only a few fields change.
 *
 * <p>Re-association updates the TCP checksum of a rewritten packet incrementally, which costs the same for any
 * packet size, and recomputes it in full only where the kernel never filled it in: the partial checksums Linux
 * leaves in packets captured on {@code lo} (checksum offload), which a full computation repairs and an update
 * would only carry over ({@link TcpSegment#rewrite}).
 */
public final class Checksums {

    private static final int SHORT_MASK = 0xffff;
    private static final long INT_MASK = 0xffff_ffffL;
    private static final int LONG_RUN = 64;
    private static final VarHandle BIG_ENDIAN_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Checksums() {
    }

    /**
     * The ones'-complement sum (not yet folded) of {@code length} bytes as 16-bit big-endian words. Adds eight
     * bytes at a time as two 32-bit words: folding a sum of 32-bit words gives the same 16-bit result (RFC 1071,
     * "parallel summation"), and a long cannot overflow for any packet size.
     */
    public static long sum(byte[] data, int from, int length) {
        long sum = 0;
        int end = from + length;
        int i = from;
        // Eight bytes at a time pays off over a segment, not over a header or an address, where the 16-bit loop below
        // is cheaper without the optimising compiler (re-association runs without it; docs/benchmarks.md).
        for (; length >= LONG_RUN && i + Long.BYTES <= end; i += Long.BYTES) {
            long eight = (long) BIG_ENDIAN_LONG.get(data, i);
            sum += (eight >>> Integer.SIZE) + (eight & INT_MASK);
        }
        for (; i + 1 < end; i += 2) {
            sum += (data[i] & 0xff) << 8 | (data[i + 1] & 0xff);
        }
        if (i < end) {
            // An odd last byte is padded with a zero byte on the right.
            sum += (data[i] & 0xff) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits and complements it: the value to store in a checksum field. */
    public static int finish(long sum) {
        return ~fold(sum) & SHORT_MASK;
    }

    /**
     * RFC 1624 equation 3 for fields given by their sums ({@link #sum}) before and after the change: the sum of the
     * complements of several words is the complement of their sum in ones'-complement arithmetic. For a checksum
     * that was right the result is exactly the one a full computation gives, 0x0000 rather than 0xffff included: a
     * computed checksum is never 0xffff, so its complement makes the sum complemented at the end non-zero.
     */
    public static int incremental(int checksum, long sumBefore, long sumAfter) {
        return finish((~checksum & SHORT_MASK) + (~fold(sumBefore) & SHORT_MASK) + sumAfter);
    }

    /** Folds a sum to 16 bits (ones'-complement end-around carry), without complementing it. */
    public static int fold(long sum) {
        long folded = sum;
        while (folded >>> 16 != 0) {
            folded = (folded & SHORT_MASK) + (folded >>> 16);
        }
        return (int) folded;
    }
}
