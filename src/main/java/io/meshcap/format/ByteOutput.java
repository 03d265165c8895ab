package io.meshcap.format;

import io.meshcap.MeshcapException;
import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A large write buffer in front of a byte channel, for format writers. Values are written in little-endian
 * order (both pcap and pcapng let the writer choose; little-endian is the host order of nearly all readers).
 *
 * <p>Two buffers take turns: while the caller fills one, a background thread writes the other, so the
 * system calls that copy data to the page cache overlap with the caller's parsing (measured: merge time
 * went from the sum of the two to about the larger one). Writes reach the channel in order; a failed write
 * surfaces as a {@link MeshcapException} from a later put, {@link #flush()} or {@link #close()}.
 *
 * <p>Values go straight into the buffer's array at a position kept here, through {@link VarHandle}s: each put is
 * then one bounds check and one store, where a {@code ByteBuffer}'s {@code putInt} is a chain of calls (bounds, memory
 * session, order) that the quick compiler re-association runs with does not fold away (docs/benchmarks.md, issue 14,
 * sixth round).
 *
 * <p>For use by format implementations only; producers of captures see {@link CaptureWriter}.
 */
public final class ByteOutput implements Closeable {

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** Tells the writer thread that nothing follows. */
    private static final ByteBuffer END = ByteBuffer.allocate(0);
    /** What the JDK says for EPIPE (strerror's text): a pipe's reader, a named pipe's too, has gone. */
    private static final String BROKEN_PIPE = "Broken pipe";

    private final String destination;
    private final WritableByteChannel channel;
    private final BlockingQueue<ByteBuffer> toWrite = new ArrayBlockingQueue<>(1);
    private final BlockingQueue<ByteBuffer> spare = new ArrayBlockingQueue<>(1);
    private final Thread writer;
    private volatile IOException failure;
    /** The buffer being filled, and how far. */
    private byte[] buffer;
    private int position;
    private boolean closed;

    /**
     * @param destination name used in error messages, e.g. the file name or {@code stdout}
     * @param channel     where the bytes go; closed by {@link #close()}
     * @param capacity    buffer size in bytes; larger writes go through in pieces
     */
    public ByteOutput(String destination, WritableByteChannel channel, int capacity) {
        this.destination = destination;
        this.channel = channel;
        // On the heap, like ByteInput's and for the same reason: cheaper puts per packet without the optimising
        // compiler; the channel copies each buffer-full once more on the writer thread.
        this.buffer = new byte[capacity];
        spare.add(ByteBuffer.allocate(capacity));
        writer = new Thread(this::writeLoop, "meshcap-writer " + destination);
        writer.setDaemon(true);
        writer.start();
    }

    /** The writer thread: writes each handed-over buffer fully, then returns it as the spare. */
    private void writeLoop() {
        try {
            for (ByteBuffer full = toWrite.take(); full != END; full = toWrite.take()) {
                try {
                    while (failure == null && full.hasRemaining()) {
                        channel.write(full);
                    }
                } catch (IOException e) {
                    failure = e;
                }
                full.clear();
                spare.put(full);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String destination() {
        return destination;
    }

    /** Makes room for {@code count} bytes (at most the capacity) so that puts of that size do not flush. */
    private void reserve(int count) {
        if (buffer.length - position < count) {
            flush();
        }
    }

    public void putInt(int value) {
        reserve(Integer.BYTES);
        INT.set(buffer, position, value);
        position += Integer.BYTES;
    }

    public void putShort(int value) {
        reserve(Short.BYTES);
        SHORT.set(buffer, position, (short) value);
        position += Short.BYTES;
    }

    public void putByte(int value) {
        reserve(1);
        buffer[position++] = (byte) value;
    }

    /** Writes the bytes, then zeros up to the next multiple of four when {@code padToFour} is set. */
    public void put(byte[] bytes, boolean padToFour) {
        put(bytes, 0, bytes.length, padToFour);
    }

    /** Writes {@code length} bytes of {@code bytes} from {@code from}, padded as {@link #put(byte[], boolean)} says. */
    public void put(byte[] bytes, int from, int length, boolean padToFour) {
        int done = 0;
        while (done < length) {
            if (position == buffer.length) {
                flush();
            }
            int chunk = Math.min(buffer.length - position, length - done);
            System.arraycopy(bytes, from + done, buffer, position, chunk);
            position += chunk;
            done += chunk;
        }
        if (padToFour) {
            for (int pad = padding(length); pad > 0; pad--) {
                putByte(0);
            }
        }
    }

    /** Zero bytes needed after {@code length} bytes to reach a multiple of four. */
    public static int padding(int length) {
        return -length & 3;
    }

    /** Hands everything buffered to the writer thread, and takes the spare buffer to fill next. */
    public void flush() {
        checkFailure();
        if (position == 0) {
            return;
        }
        try {
            toWrite.put(ByteBuffer.wrap(buffer, 0, position));
            buffer = spare.take().array();
            position = 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure(destination + ": interrupted while writing", e);
        }
        checkFailure();
    }

    private void checkFailure() {
        IOException e = failure;
        if (e != null) {
            boolean pipe = destination.equals("stdout") || String.valueOf(e.getMessage()).contains(BROKEN_PIPE);
            throw MeshcapException.failure(destination + ": write failed: " + e.getMessage()
                    + (pipe ? " (did the reading program exit?)" : " (is the disk full?)"), e);
        }
    }

    /** Flushes, waits for the writer thread to finish, and closes the channel. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            flush();
        } finally {
            try {
                toWrite.put(END);
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                channel.close();
            } catch (IOException e) {
                throw MeshcapException.failure(destination + ": close failed: " + e.getMessage(), e);
            }
        }
        checkFailure();
    }
}
