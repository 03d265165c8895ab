package io.meshcap.packet;

/**
 * A view of an IPv6 fixed header (RFC 8200) at an offset of a record's bytes. Extension headers are not walked:
 * {@link #protocol()} is the fixed header's next header (see {@link NetworkHeader}).
 */
public final class Ipv6Header extends IpHeader {

    static final int VERSION = 6;
    public static final int ADDRESS_LENGTH = 16;

    private static final int PAYLOAD_LENGTH = 4;
    private static final int NEXT_HEADER = 6;
    private static final int SOURCE = 8;
    private static final int LENGTH = 40;

    Ipv6Header() {
        super("IPv6", SOURCE, ADDRESS_LENGTH);
    }

    /**
     * This view pointed at the header at {@code offset} of a packet ending at {@code end}, or {@code null} (and this
     * view left as it was) when the header is cut short.
     */
    Ipv6Header view(byte[] data, int offset, int end) {
        if (offset + LENGTH > end) {
            return null;
        }
        point(data, offset, end);
        return this;
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
        return length == 0 ? end - transportOffset() : length;
    }

    @Override
    public void updateHeaderChecksum() {
        // IPv6 has no header checksum; the TCP pseudo-header covers the addresses instead.
    }
}
