package io.meshcap.format.pcapng;

import io.meshcap.format.ByteInput;
import io.meshcap.format.RawOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Gathers the options of one block that are carried on, encoded little-endian as {@link RawOptions} holds them. */
final class OptionCollector {

    private final ByteInput input;
    private final ByteBuffer out;

    /** @param capacity at most the bytes the block's options take in the input: carried options never grow */
    OptionCollector(ByteInput input, int capacity) {
        this.input = input;
        this.out = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Carries an option's value as it is in the input (text, bytes, or anything from a little-endian section). */
    void copy(int code, int valueAt, int length) {
        header(code, length);
        input.copyTo(valueAt, out.array(), out.position(), length);
        out.position(out.position() + padded(length));
    }

    /** Carries an option whose value is given, e.g. converted to little-endian. */
    void put(int code, ByteBuffer value) {
        header(code, value.capacity());
        out.put(value.array());
        out.position(out.position() + padded(value.capacity()) - value.capacity());
    }

    /** A little-endian buffer for a value of {@code length} bytes, to fill and {@link #put}. */
    static ByteBuffer value(int length) {
        return ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    }

    RawOptions build() {
        return RawOptions.ofEncoded(out.position() == out.capacity() ? out.array()
                : Arrays.copyOf(out.array(), out.position()));
    }

    private void header(int code, int length) {
        out.putShort((short) code).putShort((short) length);
    }

    private static int padded(int length) {
        return (length + 3) & ~3;
    }
}
