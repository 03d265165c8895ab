package io.meshcap.packet;

/**
 * An IPv4 or IPv6 header inside a record's bytes. Addresses are raw (4 or 16 bytes). The transport header is
 * where {@link #protocol()} says it is: for IPv6 that is the fixed header's next header only, because meshcap
 * does not walk extension headers (the pod traffic it rewrites carries none; a packet that has them is simply
 * not seen as TCP and passes unchanged).
 */
public sealed interface NetworkHeader permits IpHeader {

    /** IANA protocol number of TCP. */
    int PROTOCOL_TCP = 6;

    /** The transport protocol (IPv6: the fixed header's next header). */
    int protocol();

    /** Whether the transport header starts in this packet (not a non-first IPv4 fragment). */
    boolean carriesTransportHeader();

    /** Absolute offset of the transport header in the record's bytes. */
    int transportOffset();

    /** The transport segment's length as this header states it (captured bytes may be fewer). */
    int transportLength();

    byte[] source();

    /** Absolute offset of the source address in the record's bytes; the destination follows it. */
    int sourceAt();

    /** Absolute offset of the destination address in the record's bytes. */
    int destinationAt();

    /** 4 (IPv4) or 16 (IPv6). */
    int addressLength();

    byte[] destination();

    /** The destination address's contribution to a checksum ({@link Checksums#sum}), without copying it. */
    long destinationSum();

    void setDestination(byte[] address);

    /** The ones'-complement sum of the TCP/UDP pseudo-header for a segment of {@code transportLength} bytes. */
    long pseudoHeaderSum(int transportLength);

    /** Recomputes the header checksum where the header has one (IPv4); IPv6 has none. */
    void updateHeaderChecksum();
}
