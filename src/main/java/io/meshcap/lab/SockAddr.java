package io.meshcap.lab;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Encodes and decodes struct sockaddr_in / sockaddr_in6 (linux/in.h, linux/in6.h). The family is in host byte
 * order, the port in network byte order; these are the layouts SO_ORIGINAL_DST returns.
 */
final class SockAddr {

    static final int IPV4_LENGTH = 16;
    static final int IPV6_LENGTH = 28;
    private static final int FAMILY_OFFSET = 0;
    private static final int PORT_OFFSET = 2;
    private static final int IPV4_ADDRESS_OFFSET = 4;
    private static final int IPV6_ADDRESS_OFFSET = 8;

    private SockAddr() {
    }

    static int family(InetAddress address) {
        return address instanceof Inet6Address ? Libc.AF_INET6 : Libc.AF_INET;
    }

    static byte[] encode(InetSocketAddress endpoint) {
        InetAddress address = endpoint.getAddress();
        boolean v6 = address instanceof Inet6Address;
        byte[] bytes = new byte[v6 ? IPV6_LENGTH : IPV4_LENGTH];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.order(ByteOrder.nativeOrder()).putShort(FAMILY_OFFSET, (short) family(address));
        buffer.order(ByteOrder.BIG_ENDIAN).putShort(PORT_OFFSET, (short) endpoint.getPort());
        byte[] raw = address.getAddress();
        System.arraycopy(raw, 0, bytes, v6 ? IPV6_ADDRESS_OFFSET : IPV4_ADDRESS_OFFSET, raw.length);
        return bytes;
    }

    static InetSocketAddress decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int family = buffer.order(ByteOrder.nativeOrder()).getShort(FAMILY_OFFSET);
        int port = Short.toUnsignedInt(buffer.order(ByteOrder.BIG_ENDIAN).getShort(PORT_OFFSET));
        byte[] raw = switch (family) {
            case Libc.AF_INET -> Arrays.copyOfRange(bytes, IPV4_ADDRESS_OFFSET, IPV4_ADDRESS_OFFSET + 4);
            case Libc.AF_INET6 -> Arrays.copyOfRange(bytes, IPV6_ADDRESS_OFFSET, IPV6_ADDRESS_OFFSET + 16);
            default -> throw new IllegalArgumentException("unexpected address family " + family);
        };
        try {
            return new InetSocketAddress(InetAddress.getByAddress(raw), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address length " + raw.length, e);
        }
    }

    static boolean isIpv4(InetAddress address) {
        return address instanceof Inet4Address;
    }
}
