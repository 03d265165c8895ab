package io.meshcap.format;

import io.meshcap.MeshcapException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * A large write buffer in front of a byte channel, for format writers. Values are written in little-endian
 * order (both pcap and pcapng let the writer choose; little-endian is the host order of nearly all readers).
 *
 * <p>For use by format implementations only; producers of captures see {@link CaptureWriter}.
 */
public final class ByteOutput implements Closeable {

    private final String destination;
    private final WritableByteChannel channel;
    private final ByteBuffer buffer;

    /**
     * @param destination name used in error messages, e.g. the file name or {@code stdout}
     * @param channel     where the bytes go; closed by {@link #close()}
     * @param capacity    buffer size in bytes; larger writes go through in pieces
     */
    public ByteOutput(String destination, WritableByteChannel channel, int capacity) {
        this.destination = destination;
        this.channel = channel;
        this.buffer = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    public String destination() {
        return destination;
    }

    /** Makes room for {@code count} bytes (at most the capacity) so that puts of that size do not flush. */
    private void reserve(int count) {
        if (buffer.remaining() < count) {
            flush();
        }
    }

    public void putInt(int value) {
        reserve(Integer.BYTES);
        buffer.putInt(value);
    }

    public void putShort(int value) {
        reserve(Short.BYTES);
        buffer.putShort((short) value);
    }

    public void putByte(int value) {
        reserve(1);
        buffer.put((byte) value);
    }

    /** Writes the bytes, then zeros up to the next multiple of four when {@code padToFour} is set. */
    public void put(byte[] bytes, boolean padToFour) {
        int offset = 0;
        while (offset < bytes.length) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int chunk = Math.min(buffer.remaining(), bytes.length - offset);
            buffer.put(bytes, offset, chunk);
            offset += chunk;
        }
        if (padToFour) {
            for (int pad = padding(bytes.length); pad > 0; pad--) {
                putByte(0);
            }
        }
    }

    /** Zero bytes needed after {@code length} bytes to reach a multiple of four. */
    public static int padding(int length) {
        return -length & 3;
    }

    /** Hands everything buffered to the channel. */
    public void flush() {
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw MeshcapException.failure(destination + ": write failed: " + e.getMessage()
                    + (destination.equals("stdout") ? " (did the reading program exit?)" : " (is the disk full?)"), e);
        } finally {
            buffer.clear();
        }
    }

    /** Flushes and closes the channel. */
    @Override
    public void close() {
        try {
            flush();
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                throw MeshcapException.failure(destination + ": close failed: " + e.getMessage(), e);
            }
        }
    }
}
