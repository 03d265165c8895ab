package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The read window's getters, which read the buffer's array directly: each field of every width at every position of a
 * buffer that is refilled and compacted, in both byte orders, with the expected values written out by hand; and a
 * field that reaches past the bytes read is refused, even where the array still holds bytes of an earlier read.
 */
class ByteInputTest {

    /** 0x01, 0x02, ... 0x20: any field's value is spelt by its position. */
    private static final byte[] COUNTING = counting(32);

    @ParameterizedTest(name = "big-endian: {0}")
    @ValueSource(booleans = {false, true})
    void everyFieldAtEveryPositionInTheOrderSet(boolean bigEndian) {
        ByteInput input = input(COUNTING, 16);
        input.order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        for (int position = 0; position + Long.BYTES <= COUNTING.length; position++) {
            assertTrue(input.request(Long.BYTES), "8 bytes from " + position);
            int b = position + 1; // the first byte's value
            assertEquals(b, input.getUnsignedByte(0));
            assertEquals(bigEndian ? b << 8 | b + 1 : (b + 1) << 8 | b, input.getUnsignedShort(0));
            int bigInt = b << 24 | (b + 1) << 16 | (b + 2) << 8 | (b + 3);
            assertEquals(bigEndian ? bigInt : Integer.reverseBytes(bigInt), input.getInt(0));
            assertEquals(bigInt, input.getIntBigEndian(0), "a magic number reads the same in either order");
            long bigLong = (long) bigInt << 32 | (b + 4) << 24 | (b + 5) << 16 | (b + 6) << 8 | (b + 7);
            assertEquals(bigEndian ? bigLong : Long.reverseBytes(bigLong), input.getLong(0));
            assertEquals(position, input.offset());
            input.skip(1);
        }
    }

    @ParameterizedTest(name = "big-endian: {0}")
    @ValueSource(booleans = {false, true})
    void aFieldPastTheBytesReadIsRefusedThoughTheArrayHoldsOlderBytesThere(boolean bigEndian) {
        ByteInput input = input(counting(24), 16);
        input.order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        assertTrue(input.request(16));
        input.skip(12);
        // Bytes 13-16 move to the array's start and 17-24 follow them; the array's last 4 bytes still hold 13-16.
        assertTrue(input.request(12));
        assertFalse(input.request(13), "the input has 24 bytes");
        input.skip(8);
        assertEquals(4, input.available());
        assertEquals(0x15, input.getUnsignedByte(0));
        assertEquals(0x18, input.getUnsignedByte(3));
        assertEquals(0x15161718, input.getIntBigEndian(0));
        assertThrows(IndexOutOfBoundsException.class, () -> input.getUnsignedByte(4));
        assertThrows(IndexOutOfBoundsException.class, () -> input.getUnsignedShort(3));
        assertThrows(IndexOutOfBoundsException.class, () -> input.getInt(1));
        assertThrows(IndexOutOfBoundsException.class, () -> input.getIntBigEndian(1));
        assertThrows(IndexOutOfBoundsException.class, () -> input.getLong(0));
        assertThrows(IndexOutOfBoundsException.class, () -> input.getInt(-1));
    }

    private static ByteInput input(byte[] bytes, int capacity) {
        return new ByteInput("test", Channels.newChannel(new ByteArrayInputStream(bytes)), capacity);
    }

    private static byte[] counting(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i + 1);
        }
        return bytes;
    }
}
