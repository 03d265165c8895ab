package io.meshcap.packet;

/** A view of a TCP header (RFC 9293) at an offset of a record's bytes. */
public final class TcpHeader {

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int ACK = 0x10;

    private static final int SOURCE_PORT = 0;
    private static final int DESTINATION_PORT = 2;
    private static final int SEQUENCE = 4;
    private static final int ACKNOWLEDGEMENT = 8;
    private static final int DATA_OFFSET = 12;
    private static final int FLAGS = 13;
    private static final int CHECKSUM = 16;
    private static final int MIN_LENGTH = 20;
    private static final int WORD = 4;
    private static final int CHECKSUM_LENGTH = 2;

    private byte[] data;
    private int offset;

    /** A view for its segment to point at each packet's header ({@link #view}). */
    TcpHeader() {
    }

    /**
     * This view pointed at the header at {@code offset} of a packet ending at {@code end}; {@code null} (and this view
     * left as it was) when its fixed part is cut off.
     */
    TcpHeader view(byte[] data, int offset, int end) {
        if (offset + MIN_LENGTH > end) {
            return null;
        }
        this.data = data;
        this.offset = offset;
        return this;
    }

    public int offset() {
        return offset;
    }

    public int sourcePort() {
        return Bytes.u16(data, offset + SOURCE_PORT);
    }

    public int destinationPort() {
        return Bytes.u16(data, offset + DESTINATION_PORT);
    }

    public void setSourcePort(int port) {
        Bytes.putU16(data, offset + SOURCE_PORT, port);
    }

    public void setDestinationPort(int port) {
        Bytes.putU16(data, offset + DESTINATION_PORT, port);
    }

    public long sequence() {
        return Bytes.u32(data, offset + SEQUENCE);
    }

    public long acknowledgement() {
        return Bytes.u32(data, offset + ACKNOWLEDGEMENT);
    }

    public int flags() {
        return Bytes.u8(data, offset + FLAGS);
    }

    public boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    /** SYN without ACK: the first packet of a connection attempt. */
    public boolean isSyn() {
        return has(SYN) && !has(ACK);
    }

    /** Header length including options, in bytes. */
    public int headerLength() {
        return (Bytes.u8(data, offset + DATA_OFFSET) >>> 4) * WORD;
    }

    public int checksum() {
        return Bytes.u16(data, offset + CHECKSUM);
    }

    public void setChecksum(int checksum) {
        Bytes.putU16(data, offset + CHECKSUM, checksum);
    }

    /** The checksum of a {@code length}-byte segment under {@code ip}'s pseudo-header; all bytes must be present. */
    public int computeChecksum(NetworkHeader ip, int length) {
        long sum = ip.pseudoHeaderSum(length)
                + Checksums.sum(data, offset, CHECKSUM)
                + Checksums.sum(data, offset + CHECKSUM + CHECKSUM_LENGTH, length - CHECKSUM - CHECKSUM_LENGTH);
        return Checksums.finish(sum);
    }
}
