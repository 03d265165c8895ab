package io.meshcap.packet;

import java.util.Arrays;

/**
 * A view of an IPv6 fixed header (RFC 8200) at an offset of a record's bytes. Extension headers are not walked:
 * {@link #protocol()} is the fixed header's next header (see {@link NetworkHeader}).
 */
public final class Ipv6Header implements NetworkHeader {

    static final int VERSION = 6;
    public static final int ADDRESS_LENGTH = 16;

    private static final int PAYLOAD_LENGTH = 4;
    private static final int NEXT_HEADER = 6;
    private static final int SOURCE = 8;
    private static final int DESTINATION = 24;
    private static final int LENGTH = 40;

    private final byte[] data;
    private final int offset;

    private Ipv6Header(byte[] data, int offset) {
        this.data = data;
        this.offset = offset;
    }

    /** The header at {@code offset}, or {@code null} when it is cut short. */
    static Ipv6Header at(byte[] data, int offset) {
        return offset + LENGTH > data.length ? null : new Ipv6Header(data, offset);
    }

    @Override
    public int protocol() {
        return Bytes.u8(data, offset + NEXT_HEADER);
    }

    @Override
    public boolean carriesTransportHeader() {
        return true;
    }

    @Override
    public int transportOffset() {
        return offset + LENGTH;
    }

    /** The payload length; 0 (a jumbogram or an offload super-packet) means "the rest of the captured bytes". */
    @Override
    public int transportLength() {
        int length = Bytes.u16(data, offset + PAYLOAD_LENGTH);
        return length == 0 ? data.length - transportOffset() : length;
    }

    @Override
    public byte[] source() {
        return Arrays.copyOfRange(data, offset + SOURCE, offset + SOURCE + ADDRESS_LENGTH);
    }

    @Override
    public byte[] destination() {
        return Arrays.copyOfRange(data, offset + DESTINATION, offset + DESTINATION + ADDRESS_LENGTH);
    }

    @Override
    public void setDestination(byte[] address) {
        if (address.length != ADDRESS_LENGTH) {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, not " + address.length);
        }
        System.arraycopy(address, 0, data, offset + DESTINATION, ADDRESS_LENGTH);
    }

    @Override
    public long pseudoHeaderSum(int transportLength) {
        long sum = Checksums.sum(data, offset + SOURCE, 2 * ADDRESS_LENGTH);
        return sum + (transportLength >>> 16) + (transportLength & 0xffff) + protocol();
    }

    @Override
    public void updateHeaderChecksum() {
        // IPv6 has no header checksum; the TCP pseudo-header covers the addresses instead.
    }
}
