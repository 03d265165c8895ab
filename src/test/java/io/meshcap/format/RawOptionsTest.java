package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Options as a pcapng file holds them (draft-ietf-opsawg-pcapng, section 3.5): a 16-bit code and length,
 * little-endian here, the value padded to 32 bits. The expected bytes are written out by hand from that layout.
 */
class RawOptionsTest {

    private static final int CUSTOM_STRING = 2988; // 0x0bac

    @Test
    void eachOptionIsItsCodeAndLengthThenItsValuePaddedToFourBytes() {
        RawOptions options = RawOptions.NONE.plus(RawOptions.COMMENT, "abcde")
                .plus(CUSTOM_STRING, new byte[] {1, 2, 3, 4});
        assertArrayEquals(new byte[] {1, 0, 5, 0, 'a', 'b', 'c', 'd', 'e', 0, 0, 0, (byte) 0xac, 0x0b, 4, 0, 1, 2, 3, 4},
                options.encoded());
    }

    @Test
    void aValueLongerThanAnOptionCanSayIsCutAt65535Bytes() {
        byte[] encoded = RawOptions.NONE.plus(RawOptions.COMMENT, new byte[70_000]).encoded();
        assertEquals(4 + 65_536, encoded.length);
        assertArrayEquals(new byte[] {1, 0, (byte) 0xff, (byte) 0xff}, Arrays.copyOf(encoded, 4));
    }

    /** An empty comment is a header and nothing else: the last four bytes of the options, still a comment. */
    @Test
    void everyCommentIsReadInOrderAnEmptyOneLastToo() {
        RawOptions options = RawOptions.NONE.plus(RawOptions.COMMENT, "first").plus(CUSTOM_STRING, "not a comment")
                .plus(RawOptions.COMMENT, "");
        assertEquals(List.of("first", ""), options.strings(RawOptions.COMMENT));
        assertEquals(List.of("not a comment"), options.strings(CUSTOM_STRING));
        assertEquals(List.of(), RawOptions.NONE.strings(RawOptions.COMMENT));
    }

    @Test
    void optionsJoinedToNoneAreTheSameObjectAndJoinedToOthersFollowThem() {
        RawOptions a = RawOptions.NONE.plus(RawOptions.COMMENT, "a");
        RawOptions b = RawOptions.NONE.plus(RawOptions.COMMENT, "b");
        assertSame(a, a.plus(RawOptions.NONE));
        assertSame(a, RawOptions.NONE.plus(a));
        assertEquals(List.of("a", "b"), a.plus(b).strings(RawOptions.COMMENT));
        assertSame(RawOptions.NONE, RawOptions.ofEncoded(new byte[0]));
    }

    /** Options compare by their bytes, as the interfaces and records holding them do; the text tests print is short. */
    @Test
    void optionsAreEqualWhenTheirBytesAre() {
        RawOptions one = RawOptions.NONE.plus(RawOptions.COMMENT, "same");
        RawOptions again = RawOptions.ofEncoded(new byte[] {1, 0, 4, 0, 's', 'a', 'm', 'e'});
        assertEquals(one, again);
        assertEquals(one.hashCode(), again.hashCode());
        assertNotEquals(one, RawOptions.NONE.plus(RawOptions.COMMENT, "other"));
        assertNotEquals(new CaptureInterface(LinkType.RAW, 0, "lo", null, one),
                new CaptureInterface(LinkType.RAW, 0, "lo", null, RawOptions.NONE));
        assertEquals("RawOptions[8 bytes]", one.toString());
    }
}
