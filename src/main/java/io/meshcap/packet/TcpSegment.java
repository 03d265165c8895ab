package io.meshcap.packet;

/**
 * A TCP segment found in a record: its network header and TCP header, located once from the interface's link
 * type. Rewrites the destination (and the source port) in place and keeps both checksums valid.
 *
 * <p>The segment and its headers are views that {@link #reparse} points at another packet: a stage that looks at
 * packet after packet keeps one segment ({@link #reusable()}) rather than making three objects per packet (the
 * cost of that under the quick compiler re-association runs with: docs/benchmarks.md, issue 14, sixth round).
 */
public final class TcpSegment {

    /** How a rewrite brought the TCP checksum up to date. */
    public enum ChecksumUpdate {
        /**
         * The whole segment was captured with a checksum the kernel never filled in (zero, or the pseudo-header
         * sum that checksum offload leaves in packets captured on {@code lo}), so it was computed from scratch.
         */
        RECOMPUTED,
        /**
         * The whole segment was captured with a filled-in checksum, updated for the changed fields only (RFC 1624):
         * exactly what a full computation gives when it was right, and as wrong as it was otherwise.
         */
        UPDATED,
        /**
         * The segment was truncated by the snap length, so the checksum was adjusted for the changed fields only
         * (RFC 1624): right if it was right before.
         */
        ADJUSTED
    }

    /** The views this segment points at a packet's headers: one per IP version, the one in use is {@link #ip}. */
    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();
    private final TcpHeader tcp = new TcpHeader();
    private byte[] data;
    private int end;
    /**
     * The header in use, as the class rather than the interface: the quick compiler re-association runs with
     * dispatches a call through an interface by a search of the receiver's interfaces, through a class by one table
     * load.
     */
    private IpHeader ip;

    private TcpSegment() {
    }

    /** The TCP segment in {@code data}, or {@code null} when the record is not IPv4/IPv6 TCP with a full header. */
    public static TcpSegment parse(int linkType, byte[] data) {
        return parse(linkType, data, 0, data.length);
    }

    /**
     * The TCP segment of the packet that lies in {@code data} from {@code from} to {@code end} (a view of a reader's
     * buffer, {@link io.meshcap.format.PacketView}), or {@code null} as {@link #parse(int, byte[])} says. Every
     * offset the segment and its headers give is into {@code data}.
     */
    public static TcpSegment parse(int linkType, byte[] data, int from, int end) {
        return reusable().reparse(linkType, data, from, end);
    }

    /** A segment for {@link #reparse} to point at packet after packet; it points at none until then. */
    public static TcpSegment reusable() {
        return new TcpSegment();
    }

    /**
     * {@link #parse(int, byte[], int, int)} into this segment: points it and its headers at that packet's and returns
     * it, or returns {@code null} (this segment then points at nothing usable). What this segment and its headers
     * gave before refers to the new packet from now on.
     */
    public TcpSegment reparse(int linkType, byte[] data, int from, int end) {
        ip = networkHeader(data, LinkLayer.networkOffset(linkType, data, from, end), end);
        if (ip == null || ip.protocol() != NetworkHeader.PROTOCOL_TCP || !ip.carriesTransportHeader()
                || tcp.view(data, ip.transportOffset(), end) == null) {
            return null;
        }
        this.data = data;
        this.end = end;
        return this;
    }

    /**
     * This segment's view of the header at {@code offset} of a packet that ends at {@code end}, pointed there, or
     * {@code null} when the bytes there are not a complete IPv4 or IPv6 header.
     */
    private IpHeader networkHeader(byte[] data, int offset, int end) {
        if (offset < 0 || offset >= end) {
            return null;
        }
        return switch (Bytes.u8(data, offset) >>> 4) {
            case Ipv4Header.VERSION -> ipv4.view(data, offset, end);
            case Ipv6Header.VERSION -> ipv6.view(data, offset, end);
            default -> null;
        };
    }

    /** The bytes the segment lies in: the record's, or the reader's buffer it is viewed in. */
    public byte[] data() {
        return data;
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

    /** The payload bytes that were captured, as offsets into {@link #data()}: [from, to). */
    public int payloadFrom() {
        return Math.min(end, tcp.offset() + tcp.headerLength());
    }

    public int payloadTo() {
        return Math.min(end, ip.transportOffset() + ip.transportLength());
    }

    /** Whether every byte of the segment is in the record (a full checksum needs them all). */
    public boolean whole() {
        return ip.transportOffset() + ip.transportLength() <= end;
    }

    /**
     * Sets the source port and the destination address and port, then recomputes the IPv4 header checksum and
     * brings the TCP checksum up to date: from scratch when the kernel never filled it in, incrementally otherwise
     * (see {@link ChecksumUpdate}). Allocates nothing.
     *
     * @param sourcePort the source port to write (the packet's own to keep it)
     * @param address    4 or 16 bytes, the family of this packet
     */
    public ChecksumUpdate rewrite(int sourcePort, byte[] address, int port) {
        boolean whole = whole();
        boolean unfilled = whole && checksumUnfilled();
        long before = changedFieldsSum();
        tcp.setSourcePort(sourcePort);
        ip.setDestination(address);
        tcp.setDestinationPort(port);
        ip.updateHeaderChecksum();
        if (unfilled) {
            tcp.setChecksum(tcp.computeChecksum(ip, ip.transportLength()));
            return ChecksumUpdate.RECOMPUTED;
        }
        tcp.setChecksum(Checksums.incremental(tcp.checksum(), before, changedFieldsSum()));
        return whole ? ChecksumUpdate.UPDATED : ChecksumUpdate.ADJUSTED;
    }

    /**
     * Whether the TCP checksum is one the kernel left unfinished: zero, or the folded pseudo-header sum that Linux
     * writes for the device to complete (checksum offload, which {@code lo} never completes). A finished checksum
     * equals that sum only by a 1 in 65,536 chance, and recomputing it then gives the right value all the same.
     */
    private boolean checksumUnfilled() {
        int checksum = tcp.checksum();
        return checksum == 0 || checksum == Checksums.fold(ip.pseudoHeaderSum(ip.transportLength()));
    }

    /** Whether the TCP checksum is right; only meaningful for a {@link #whole()} segment. */
    public boolean checksumValid() {
        return tcp.computeChecksum(ip, ip.transportLength()) == tcp.checksum();
    }

    /** The sum of what {@link #rewrite} changes and the TCP checksum covers: source port, destination address, port. */
    private long changedFieldsSum() {
        return tcp.sourcePort() + ip.destinationSum() + tcp.destinationPort();
    }
}
