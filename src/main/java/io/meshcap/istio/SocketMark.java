package io.meshcap.istio;

import com.fasterxml.jackson.annotation.JsonValue;

/** A netfilter mark and mask, as in {@code --mark 0x539/0xfff}; the mask is all ones when none was given. */
public record SocketMark(long value, long mask) {

    static final long FULL_MASK = 0xffffffffL;

    /** Parses {@code 0x539/0xfff}, {@code 1337}, {@code 0x539}. */
    static SocketMark parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new SocketMark(number(text), FULL_MASK);
        }
        return new SocketMark(number(text.substring(0, slash)), number(text.substring(slash + 1)));
    }

    private static long number(String text) {
        String trimmed = text.trim();
        return trimmed.startsWith("0x") ? Long.parseLong(trimmed.substring(2), 16) : Long.parseLong(trimmed);
    }

    @JsonValue
    @Override
    public String toString() {
        String value = "0x" + Long.toHexString(this.value);
        return mask == FULL_MASK ? value : value + "/0x" + Long.toHexString(mask);
    }
}
