package io.meshcap.reassoc;

import io.meshcap.net.Addresses;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IP address and TCP port as they appear in a packet. A value: equal bytes and port are equal endpoints.
 * Prints like Wireshark: {@code 198.18.0.1:8080}, {@code [2001:2::1]:8080}.
 */
public final class FlowEndpoint {

    private static final int IPV4_LENGTH = 4;
    private static final int IPV6_LENGTH = 16;
    private static final byte[] IPV4_LOOPBACK = {127, 0, 0, 1};
    private static final byte[] IPV6_LOOPBACK = loopback6();

    private final byte[] address;
    private final int port;
    /** Endpoints are hash keys for every packet, so the hash is computed once. */
    private final int hash;

    private FlowEndpoint(byte[] address, int port) {
        this.address = address;
        this.port = port;
        this.hash = 31 * Arrays.hashCode(address) + port;
    }

    /** @param address 4 or 16 bytes, not copied: the caller hands it over */
    public static FlowEndpoint of(byte[] address, int port) {
        if (address.length != IPV4_LENGTH && address.length != IPV6_LENGTH) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + address.length);
        }
        return new FlowEndpoint(address, port);
    }

    public static FlowEndpoint of(InetAddress address, int port) {
        return new FlowEndpoint(address.getAddress(), port);
    }

    /** A copy of the address bytes. */
    public byte[] address() {
        return address.clone();
    }

    public int port() {
        return port;
    }

    /** Whether the address is {@code 127.0.0.1} or {@code ::1}, where Linux REDIRECTs locally generated packets. */
    public boolean isLoopback() {
        return Arrays.equals(address, isIpv6() ? IPV6_LOOPBACK : IPV4_LOOPBACK);
    }

    public boolean isIpv6() {
        return address.length == IPV6_LENGTH;
    }

    public InetAddress inetAddress() {
        try {
            return InetAddress.getByAddress(address);
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
        return other instanceof FlowEndpoint that && hash == that.hash && port == that.port
                && Arrays.equals(address, that.address);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return isIpv6() ? "[" + host() + "]:" + port : host() + ":" + port;
    }

    private static byte[] loopback6() {
        byte[] loopback = new byte[IPV6_LENGTH];
        loopback[IPV6_LENGTH - 1] = 1;
        return loopback;
    }
}
