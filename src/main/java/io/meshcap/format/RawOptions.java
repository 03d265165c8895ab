package io.meshcap.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The options of a block that meshcap carries without needing to understand them (an interface's FCS length,
 * filter and OS, a packet's flags, hash and drop count, comments, custom options), kept as they are written in a
 * pcapng file: each option a 16-bit code and length, the value padded to 32 bits, little-endian, no end-of-options
 * marker. Readers produce them, the pcapng writer copies them as they are, and nothing in between parses them, so a
 * record no stage changes keeps its options byte for byte.
 *
 * <p>Immutable; {@link #encoded()} is shared, not copied, and must not be modified.
 */
public final class RawOptions {

    /** opt_comment: a UTF-8 comment; a block may carry several. */
    public static final int COMMENT = 1;
    /** Option values are at most 65535 bytes; longer values are cut there. */
    public static final int MAX_VALUE_LENGTH = 0xffff;
    public static final RawOptions NONE = new RawOptions(new byte[0]);

    private static final int HEADER_LENGTH = 4;

    private final byte[] encoded;

    private RawOptions(byte[] encoded) {
        this.encoded = encoded;
    }

    /** Options already encoded as described above (by a reader); the array is kept, not copied. */
    public static RawOptions ofEncoded(byte[] encoded) {
        return encoded.length == 0 ? NONE : new RawOptions(encoded);
    }

    /** The encoded options; the array is shared and must not be modified. */
    public byte[] encoded() {
        return encoded;
    }

    public boolean isEmpty() {
        return encoded.length == 0;
    }

    /** These options followed by one more, e.g. a comment. */
    public RawOptions plus(int code, byte[] value) {
        int length = Math.min(value.length, MAX_VALUE_LENGTH);
        ByteBuffer buffer = ByteBuffer.allocate(encoded.length + HEADER_LENGTH + padded(length))
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(encoded).putShort((short) code).putShort((short) length).put(value, 0, length);
        return new RawOptions(buffer.array());
    }

    public RawOptions plus(int code, String value) {
        return plus(code, value.getBytes(StandardCharsets.UTF_8));
    }

    /** These options followed by {@code more}; either one itself when the other is empty, so nothing is copied. */
    public RawOptions plus(RawOptions more) {
        if (more.isEmpty() || isEmpty()) {
            return isEmpty() ? more : this;
        }
        byte[] joined = Arrays.copyOf(encoded, encoded.length + more.encoded.length);
        System.arraycopy(more.encoded, 0, joined, encoded.length, more.encoded.length);
        return new RawOptions(joined);
    }

    /** The values of every option with {@code code}, in order, as UTF-8 text. */
    public List<String> strings(int code) {
        List<String> values = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at + HEADER_LENGTH <= encoded.length; ) {
            int length = Short.toUnsignedInt(buffer.getShort(at + 2));
            if (Short.toUnsignedInt(buffer.getShort(at)) == code) {
                values.add(new String(encoded, at + HEADER_LENGTH, length, StandardCharsets.UTF_8));
            }
            at += HEADER_LENGTH + padded(length);
        }
        return values;
    }

    private static int padded(int length) {
        return (length + 3) & ~3;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RawOptions that && Arrays.equals(encoded, that.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "RawOptions[" + encoded.length + " bytes]";
    }
}
