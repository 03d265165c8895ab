package io.meshcap.packet;

/** Big-endian (network order) absolute access to a byte array, shared by the header views. */
final class Bytes {

    private static final int BYTE_MASK = 0xff;
    private static final int SHORT_MASK = 0xffff;
    private static final long INT_MASK = 0xffff_ffffL;

    private Bytes() {
    }

    static int u8(byte[] data, int at) {
        return data[at] & BYTE_MASK;
    }

    static int u16(byte[] data, int at) {
        return (u8(data, at) << 8) | u8(data, at + 1);
    }

    static long u32(byte[] data, int at) {
        return ((long) u16(data, at) << 16 | u16(data, at + 2)) & INT_MASK;
    }

    static void putU16(byte[] data, int at, int value) {
        data[at] = (byte) (value >>> 8);
        data[at + 1] = (byte) value;
    }

    /** Little-endian 32 bits, for the host-order family field of the NULL link type. */
    static long u32LittleEndian(byte[] data, int at) {
        return ((long) u8(data, at + 3) << 24 | u8(data, at + 2) << 16 | u8(data, at + 1) << 8 | u8(data, at))
                & INT_MASK;
    }

    static int mask16(int value) {
        return value & SHORT_MASK;
    }
}
