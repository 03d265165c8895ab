package io.meshcap.format;

import io.meshcap.MeshcapException;
import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;

/**
 * A forward-only window over a byte channel for format readers: {@link #request(int)} makes the next
 * bytes available, absolute getters read them relative to the current position without moving it, and
 * {@link #skip(int)} consumes them. Memory stays at the buffer size unless one block is larger, in which
 * case the buffer grows to hold it (format readers cap block sizes before asking).
 *
 * <p>The getters read the buffer's array through {@link VarHandle}s, after one check that the bytes are within those
 * read: a {@code ByteBuffer}'s {@code getInt} is a chain of calls (bounds, memory session, order) that the quick
 * compiler re-association runs with does not fold away, and readers call getters for every record
 * (docs/benchmarks.md, issue 14, sixth round).
 *
 * <p>For use by format implementations only; consumers of captures see {@link CaptureReader}.
 */
public final class ByteInput implements Closeable {

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT_LE =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_BE =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private final String source;
    private final ReadableByteChannel channel;
    private ByteBuffer buffer;
    /** The buffer's byte order, as a flag the getters test rather than a call to ask it. */
    private boolean bigEndian = true;
    private long bufferOffset;
    private boolean endOfInput;

    /**
     * @param source   name used in error messages, usually the file name
     * @param channel  where the bytes come from; closed by {@link #close()}
     * @param capacity initial buffer size in bytes
     */
    public ByteInput(String source, ReadableByteChannel channel, int capacity) {
        this.source = source;
        this.channel = channel;
        // On the heap rather than direct: copying a record out is then one array copy, where a direct buffer's
        // bounds and memory-session checks cost more per packet than the copy itself without the optimising
        // compiler (re-association runs without it, docs/benchmarks.md). The channel reads through a direct buffer
        // of its own, one extra copy per buffer-full.
        this.buffer = ByteBuffer.allocate(capacity).limit(0);
    }

    public String source() {
        return source;
    }

    /** Absolute offset in the input of the current position. */
    public long offset() {
        return bufferOffset + buffer.position();
    }

    /** Bytes available from the current position without reading more. */
    public int available() {
        return buffer.remaining();
    }

    /** Byte order used by the getters; a format sets it from its magic number. */
    public void order(ByteOrder order) {
        buffer.order(order);
        bigEndian = order == ByteOrder.BIG_ENDIAN;
    }

    /**
     * Makes at least {@code count} bytes available from the current position.
     *
     * @return false when the input ends first; {@link #available()} then says how many bytes there are
     */
    public boolean request(int count) {
        if (buffer.remaining() >= count) {
            return true;
        }
        if (endOfInput) {
            return false;
        }
        bufferOffset += buffer.position();
        buffer.compact();
        try {
            while (buffer.position() < count) {
                if (!buffer.hasRemaining()) {
                    grow(count);
                }
                if (channel.read(buffer) < 0) {
                    endOfInput = true;
                    break;
                }
            }
        } catch (IOException e) {
            buffer.flip();
            throw MeshcapException.failure(source + ": offset " + offset() + ": read failed: " + e.getMessage(), e);
        }
        buffer.flip();
        return buffer.remaining() >= count;
    }

    /**
     * One block is larger than the buffer (the format capped its size beforehand). Growing by doubling as the
     * data arrives, not straight to the claimed size, keeps a damaged length field in a short file cheap.
     */
    private void grow(int count) {
        ByteBuffer larger = ByteBuffer.allocate((int) Math.min(count, 2L * buffer.capacity()))
                .order(buffer.order());
        buffer.flip();
        larger.put(buffer);
        buffer = larger;
    }

    public int getInt(int index) {
        int at = at(index, Integer.BYTES);
        return bigEndian ? (int) INT_BE.get(buffer.array(), at) : (int) INT_LE.get(buffer.array(), at);
    }

    public long getLong(int index) {
        int at = at(index, Long.BYTES);
        return bigEndian ? (long) LONG_BE.get(buffer.array(), at) : (long) LONG_LE.get(buffer.array(), at);
    }

    public int getUnsignedShort(int index) {
        int at = at(index, Short.BYTES);
        return Short.toUnsignedInt(bigEndian ? (short) SHORT_BE.get(buffer.array(), at)
                : (short) SHORT_LE.get(buffer.array(), at));
    }

    public int getUnsignedByte(int index) {
        return Byte.toUnsignedInt(buffer.array()[at(index, 1)]);
    }

    /** The four bytes at {@code index} as a big-endian int, whatever the current order: for magic numbers. */
    public int getIntBigEndian(int index) {
        return (int) INT_BE.get(buffer.array(), at(index, Integer.BYTES));
    }

    /**
     * Where the {@code size} bytes at {@code index} from the current position lie in the array (the buffer is always
     * one this input allocated, so its array starts at offset 0), once checked to be among the bytes read (beyond them
     * the array holds what an earlier read left).
     */
    private int at(int index, int size) {
        int position = buffer.position();
        if (index < 0 || size > buffer.limit() - position - index) {
            throw outOfRange(index, size);
        }
        return position + index;
    }

    /** Apart from {@link #at}, so that the message's code does not weigh on the getters' inlining. */
    private IndexOutOfBoundsException outOfRange(int index, int size) {
        return new IndexOutOfBoundsException(size + " bytes at " + index + " of " + available() + " available");
    }

    /**
     * The array the buffer holds its bytes in, for a view of a record ({@link PacketView}) where it lies: valid until
     * the next {@link #request(int)}. Byte {@code index} from the current position is at {@link #arrayIndex(int)}.
     */
    public byte[] array() {
        return buffer.array();
    }

    /** Where byte {@code index} from the current position lies in {@link #array()}. */
    public int arrayIndex(int index) {
        return buffer.arrayOffset() + buffer.position() + index;
    }

    /** Copies {@code length} bytes starting at {@code index} into a new array. */
    public byte[] copy(int index, int length) {
        byte[] bytes = new byte[length];
        buffer.get(buffer.position() + index, bytes);
        return bytes;
    }

    /** Copies {@code length} bytes starting at {@code index} into {@code target} at {@code targetOffset}. */
    public void copyTo(int index, byte[] target, int targetOffset, int length) {
        buffer.get(buffer.position() + index, target, targetOffset, length);
    }

    /** The current byte order, as the format set it. */
    public ByteOrder order() {
        return buffer.order();
    }

    /** Consumes {@code count} available bytes. */
    public void skip(int count) {
        buffer.position(buffer.position() + count);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw MeshcapException.failure(source + ": close failed: " + e.getMessage(), e);
        }
    }
}
