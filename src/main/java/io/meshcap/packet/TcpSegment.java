package io.meshcap.packet;

/**
 * A TCP segment found in a record: its network header and TCP header, located once from the interface's link
 * type. Rewrites the destination (and the source port) in place and keeps both checksums valid.
 */
public final class TcpSegment {

    /** How a rewrite brought the TCP checksum up to date. */
    public enum ChecksumUpdate {
        /** The whole segment was captured and its checksum recomputed from scratch. */
        RECOMPUTED,
        /**
         * The segment was truncated by the snap length, so the checksum was adjusted for the changed fields only
         * (RFC 1624): right if it was right before.
         */
        ADJUSTED
    }

    private final byte[] data;
    private final NetworkHeader ip;
    private final TcpHeader tcp;

    private TcpSegment(byte[] data, NetworkHeader ip, TcpHeader tcp) {
        this.data = data;
        this.ip = ip;
        this.tcp = tcp;
    }

    /** The TCP segment in {@code data}, or {@code null} when the record is not IPv4/IPv6 TCP with a full header. */
    public static TcpSegment parse(int linkType, byte[] data) {
        NetworkHeader ip = NetworkHeader.at(data, LinkLayer.networkOffset(linkType, data));
        if (ip == null || ip.protocol() != NetworkHeader.PROTOCOL_TCP || !ip.carriesTransportHeader()) {
            return null;
        }
        TcpHeader tcp = TcpHeader.at(data, ip.transportOffset());
        return tcp == null ? null : new TcpSegment(data, ip, tcp);
    }

    public NetworkHeader ip() {
        return ip;
    }

    public TcpHeader tcp() {
        return tcp;
    }

    /** Payload bytes the header announces (captured ones may be fewer). */
    public int payloadLength() {
        return Math.max(0, ip.transportLength() - tcp.headerLength());
    }

    /** The payload bytes that were captured, as offsets into the record's data: [from, to). */
    public int payloadFrom() {
        return Math.min(data.length, tcp.offset() + tcp.headerLength());
    }

    public int payloadTo() {
        return Math.min(data.length, ip.transportOffset() + ip.transportLength());
    }

    /** Whether every byte of the segment is in the record (a full checksum needs them all). */
    public boolean whole() {
        return ip.transportOffset() + ip.transportLength() <= data.length;
    }

    /**
     * Sets the source port and the destination address and port, then recomputes the IPv4 header checksum and
     * updates the TCP checksum: in full when the segment is {@link #whole()}, incrementally otherwise.
     *
     * @param sourcePort the source port to write (the packet's own to keep it)
     * @param address    4 or 16 bytes, the family of this packet
     */
    public ChecksumUpdate rewrite(int sourcePort, byte[] address, int port) {
        boolean whole = whole();
        byte[] before = whole ? null : fields();
        tcp.setSourcePort(sourcePort);
        ip.setDestination(address);
        tcp.setDestinationPort(port);
        ip.updateHeaderChecksum();
        if (whole) {
            tcp.setChecksum(tcp.computeChecksum(ip, ip.transportLength()));
            return ChecksumUpdate.RECOMPUTED;
        }
        tcp.setChecksum(Checksums.incremental(tcp.checksum(), before, fields()));
        return ChecksumUpdate.ADJUSTED;
    }

    /** Whether the TCP checksum is right; only meaningful for a {@link #whole()} segment. */
    public boolean checksumValid() {
        return tcp.computeChecksum(ip, ip.transportLength()) == tcp.checksum();
    }

    /**
     * The source port, destination address and destination port as one even-length run of bytes: what the
     * checksums cover that {@link #rewrite} changes.
     */
    private byte[] fields() {
        byte[] address = ip.destination();
        byte[] all = new byte[2 + address.length + 2];
        all[0] = (byte) (tcp.sourcePort() >>> 8);
        all[1] = (byte) tcp.sourcePort();
        System.arraycopy(address, 0, all, 2, address.length);
        all[2 + address.length] = (byte) (tcp.destinationPort() >>> 8);
        all[2 + address.length + 1] = (byte) tcp.destinationPort();
        return all;
    }
}
