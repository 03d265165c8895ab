package io.meshcap.packet;

/** A view of an IPv4 header (RFC 791) at an offset of a record's bytes. */
public final class Ipv4Header extends IpHeader {

    static final int VERSION = 4;
    public static final int ADDRESS_LENGTH = 4;

    private static final int VERSION_IHL = 0;
    private static final int TOTAL_LENGTH = 2;
    private static final int FLAGS_FRAGMENT = 6;
    private static final int PROTOCOL = 9;
    private static final int HEADER_CHECKSUM = 10;
    private static final int SOURCE = 12;
    private static final int MIN_LENGTH = 20;
    private static final int IHL_MASK = 0x0f;
    private static final int WORD = 4;
    private static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    private int headerLength;

    Ipv4Header() {
        super("IPv4", SOURCE, ADDRESS_LENGTH);
    }

    /**
     * This view pointed at the header at {@code offset} of a packet ending at {@code end}, or {@code null} (and this
     * view left as it was) when the header is cut short or malformed.
     */
    Ipv4Header view(byte[] data, int offset, int end) {
        int length = (Bytes.u8(data, offset + VERSION_IHL) & IHL_MASK) * WORD;
        if (length < MIN_LENGTH || offset + length > end) {
            return null;
        }
        point(data, offset, end);
        headerLength = length;
        return this;
    }

    @Override
    public int protocol() {
        return Bytes.u8(data, offset + PROTOCOL);
    }

    @Override
    public boolean carriesTransportHeader() {
        return (Bytes.u16(data, offset + FLAGS_FRAGMENT) & FRAGMENT_OFFSET_MASK) == 0;
    }

    @Override
    public int transportOffset() {
        return offset + headerLength;
    }

    /**
     * Total length minus the header. A total length of 0 (a segmentation-offload super-packet captured before the
     * NIC split it) means "the rest of the captured bytes".
     */
    @Override
    public int transportLength() {
        int total = Bytes.u16(data, offset + TOTAL_LENGTH);
        return total == 0 ? end - transportOffset() : Math.max(0, total - headerLength);
    }

    @Override
    public void updateHeaderChecksum() {
        Bytes.putU16(data, offset + HEADER_CHECKSUM, 0);
        Bytes.putU16(data, offset + HEADER_CHECKSUM, Checksums.finish(Checksums.sum(data, offset, headerLength)));
    }
}
