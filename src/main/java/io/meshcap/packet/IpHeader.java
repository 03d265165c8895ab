package io.meshcap.packet;

import java.util.Arrays;

/**
 * What IPv4 and IPv6 headers share: the two addresses lie next to each other, source first, and both go into the
 * TCP/UDP pseudo-header the same way. Each version says where its addresses start and how long they are.
 */
abstract sealed class IpHeader implements NetworkHeader permits Ipv4Header, Ipv6Header {

    private static final int HALF_WORD_BITS = 16;
    private static final int HALF_WORD_MASK = 0xffff;

    byte[] data;
    int offset;
    /** Where the packet's captured bytes end in {@code data}. */
    int end;
    private final String family;
    /** Where the source address starts, from the header's start. */
    private final int sourceOffset;
    private final int addressLength;
    private int source;

    /** A view to point at headers ({@link #point}): its segment re-points it at each packet it parses. */
    IpHeader(String family, int sourceOffset, int addressLength) {
        this.family = family;
        this.sourceOffset = sourceOffset;
        this.addressLength = addressLength;
    }

    /** Points this view at the header at {@code offset} of a packet that ends at {@code end}. */
    final void point(byte[] data, int offset, int end) {
        this.data = data;
        this.offset = offset;
        this.end = end;
        this.source = offset + sourceOffset;
    }

    @Override
    public final byte[] source() {
        return Arrays.copyOfRange(data, source, source + addressLength);
    }

    @Override
    public final byte[] destination() {
        return Arrays.copyOfRange(data, destinationAt(), destinationAt() + addressLength);
    }

    @Override
    public final void setDestination(byte[] address) {
        if (address.length != addressLength) {
            throw new IllegalArgumentException("an " + family + " address has " + addressLength + " bytes, not "
                    + address.length);
        }
        System.arraycopy(address, 0, data, destinationAt(), addressLength);
    }

    /** The sum of the destination address, as checksums count it. */
    @Override
    public final long destinationSum() {
        return Checksums.sum(data, destinationAt(), addressLength);
    }

    /** Both addresses, the length (as two 16-bit words: IPv6's is 32 bits) and the protocol. */
    @Override
    public final long pseudoHeaderSum(int transportLength) {
        long sum = Checksums.sum(data, source, 2 * addressLength);
        return sum + (transportLength >>> HALF_WORD_BITS) + (transportLength & HALF_WORD_MASK) + protocol();
    }

    @Override
    public final int sourceAt() {
        return source;
    }

    @Override
    public final int addressLength() {
        return addressLength;
    }

    @Override
    public final int destinationAt() {
        return source + addressLength;
    }
}
