package io.meshcap.reassoc;

import io.meshcap.net.Addresses;
import io.meshcap.packet.TcpSegment;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP address and TCP port as they appear in a packet. A value: equal bytes and port are equal endpoints.
 * Prints like Wireshark: {@code 198.18.0.1:8080}, {@code [2001:2::1]:8080}.
 */
public final class FlowEndpoint {

    private static final int IPV4_LENGTH = 4;
    private static final int IPV6_LENGTH = 16;
    private static final long IPV4_LOOPBACK = 0x7f00_0001L;

    /**
     * The address as two numbers, so that comparing endpoints (hash keys for every packet) takes a few comparisons
     * rather than an array's: IPv6's first and last eight bytes, or 0 and IPv4's four bytes.
     */
    private final long high;
    private final long low;
    private final boolean ipv6;
    private final int port;
    /** Endpoints are hash keys for every packet, so the hash is computed once. */
    private final int hash;

    private FlowEndpoint(long high, long low, boolean ipv6, int port) {
        this.high = high;
        this.low = low;
        this.ipv6 = ipv6;
        this.port = port;
        this.hash = hash(high, low, port);
    }

    /** @param address 4 or 16 bytes */
    public static FlowEndpoint of(byte[] address, int port) {
        if (address.length != IPV4_LENGTH && address.length != IPV6_LENGTH) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + address.length);
        }
        return at(address, 0, address.length, port);
    }

    /** The sender of a segment, read from the record's bytes without copying them. */
    public static FlowEndpoint source(TcpSegment segment) {
        return at(segment.data(), segment.ip().sourceAt(), segment.ip().addressLength(), segment.tcp().sourcePort());
    }

    /** The receiver of a segment, read from the record's bytes without copying them. */
    public static FlowEndpoint destination(TcpSegment segment) {
        return at(segment.data(), segment.ip().destinationAt(), segment.ip().addressLength(),
                segment.tcp().destinationPort());
    }

    private static FlowEndpoint at(byte[] data, int at, int length, int port) {
        if (length == IPV4_LENGTH) {
            return new FlowEndpoint(0, ipv4(data, at), false, port);
        }
        return new FlowEndpoint(bigEndian(data, at, Long.BYTES), bigEndian(data, at + Long.BYTES, Long.BYTES), true,
                port);
    }

    /** Whether this endpoint has the address {@code high}/{@code low} (as {@link Flow} holds it) and the port. */
    boolean is(long high, long low, boolean ipv6, int port) {
        return low == this.low && port == this.port && high == this.high && ipv6 == this.ipv6;
    }

    /**
     * The two endpoints of a segment as numbers, read once from the packet's bytes: what a look-up for every packet
     * compares and hashes without making endpoint objects. Refilled for each packet.
     */
    static final class Flow {
        private long sourceHigh;
        private long sourceLow;
        private int sourcePort;
        private long destinationHigh;
        private long destinationLow;
        private int destinationPort;
        private boolean ipv6;

        /** Reads the segment's endpoints. */
        void read(TcpSegment segment) {
            byte[] data = segment.data();
            int source = segment.ip().sourceAt();
            int destination = segment.ip().destinationAt();
            ipv6 = segment.ip().addressLength() != IPV4_LENGTH;
            if (ipv6) {
                sourceHigh = bigEndian(data, source, Long.BYTES);
                sourceLow = bigEndian(data, source + Long.BYTES, Long.BYTES);
                destinationHigh = bigEndian(data, destination, Long.BYTES);
                destinationLow = bigEndian(data, destination + Long.BYTES, Long.BYTES);
            } else {
                sourceHigh = 0;
                sourceLow = ipv4(data, source);
                destinationHigh = 0;
                destinationLow = ipv4(data, destination);
            }
            sourcePort = segment.tcp().sourcePort();
            destinationPort = segment.tcp().destinationPort();
        }

        /** {@code FlowEndpoint.source(segment).hashCode()} of the segment read last. */
        int sourceHash() {
            return hash(sourceHigh, sourceLow, sourcePort);
        }

        /** {@code FlowEndpoint.destination(segment).hashCode()} of the segment read last. */
        int destinationHash() {
            return hash(destinationHigh, destinationLow, destinationPort);
        }

        /** The sender of the segment read last, as an endpoint. */
        FlowEndpoint source() {
            return new FlowEndpoint(sourceHigh, sourceLow, ipv6, sourcePort);
        }

        /** The receiver of the segment read last, as an endpoint. */
        FlowEndpoint destination() {
            return new FlowEndpoint(destinationHigh, destinationLow, ipv6, destinationPort);
        }

        /** Whether the segment read last was sent to {@code 127.0.0.1} or {@code ::1} ({@link #isLoopback()}). */
        boolean toLoopback() {
            return ipv6 ? destinationHigh == 0 && destinationLow == 1 : destinationLow == IPV4_LOOPBACK;
        }

        /** Whether {@code endpoint} sent the segment read last. */
        boolean from(FlowEndpoint endpoint) {
            return endpoint.is(sourceHigh, sourceLow, ipv6, sourcePort);
        }

        /** Whether {@code endpoint} received the segment read last. */
        boolean to(FlowEndpoint endpoint) {
            return endpoint.is(destinationHigh, destinationLow, ipv6, destinationPort);
        }
    }

    private static int hash(long high, long low, int port) {
        return 31 * (31 * Long.hashCode(high) + Long.hashCode(low)) + port;
    }

    /** Spelt out rather than looped: this runs for most packets, without the optimising compiler. */
    private static long ipv4(byte[] data, int at) {
        return (data[at] & 0xffL) << 24 | (data[at + 1] & 0xff) << 16 | (data[at + 2] & 0xff) << 8
                | (data[at + 3] & 0xff);
    }

    public static FlowEndpoint of(InetAddress address, int port) {
        return of(address.getAddress(), port);
    }

    /** The address bytes, 4 or 16. */
    public byte[] address() {
        if (!isIpv6()) {
            return bytes(low, IPV4_LENGTH);
        }
        byte[] address = new byte[IPV6_LENGTH];
        System.arraycopy(bytes(high, Long.BYTES), 0, address, 0, Long.BYTES);
        System.arraycopy(bytes(low, Long.BYTES), 0, address, Long.BYTES, Long.BYTES);
        return address;
    }

    public int port() {
        return port;
    }

    /** Whether the address is {@code 127.0.0.1} or {@code ::1}, where Linux REDIRECTs locally generated packets. */
    public boolean isLoopback() {
        return isIpv6() ? high == 0 && low == 1 : low == IPV4_LOOPBACK;
    }

    public boolean isIpv6() {
        return ipv6;
    }

    public InetAddress inetAddress() {
        try {
            return InetAddress.getByAddress(address());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }

    /** The address in Wireshark's text form (IPv6 compressed, no brackets). */
    public String host() {
        return Addresses.format(inetAddress());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FlowEndpoint that && low == that.low && port == that.port && high == that.high
                && ipv6 == that.ipv6;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return isIpv6() ? "[" + host() + "]:" + port : host() + ":" + port;
    }

    private static long bigEndian(byte[] bytes, int from, int length) {
        long value = 0;
        for (int i = from; i < from + length; i++) {
            value = value << Byte.SIZE | (bytes[i] & 0xff);
        }
        return value;
    }

    private static byte[] bytes(long value, int length) {
        byte[] bytes = new byte[length];
        for (int i = length - 1; i >= 0; i--) {
            bytes[i] = (byte) (value >>> (Byte.SIZE * (length - 1 - i)));
        }
        return bytes;
    }
}
