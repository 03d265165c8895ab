package io.meshcap.lab;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * An IP address and port as one endpoint of a connection saw it. The address is in the text form tshark and
 * {@code ip} print (dotted quad, or RFC 5952 compressed IPv6), so tests can compare it with capture fields directly.
 */
public record Endpoint(String address, int port) {

    private static final int IPV6_GROUPS = 8;

    public static Endpoint of(InetSocketAddress socketAddress) {
        return new Endpoint(format(socketAddress.getAddress()), socketAddress.getPort());
    }

    public static Endpoint of(InetAddress address, int port) {
        return new Endpoint(format(address), port);
    }

    /** Formats an address the way tshark and iproute2 do: IPv6 with the longest run of zero groups as "::". */
    public static String format(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] raw = address.getAddress();
        int[] groups = new int[IPV6_GROUPS];
        for (int i = 0; i < IPV6_GROUPS; i++) {
            groups[i] = ((raw[2 * i] & 0xff) << 8) | (raw[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < IPV6_GROUPS; i++) {
            int length = 0;
            while (i + length < IPV6_GROUPS && groups[i + length] == 0) {
                length++;
            }
            if (length > bestLength) {
                bestStart = i;
                bestLength = length;
            }
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < IPV6_GROUPS; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return address.contains(":") ? "[" + address + "]:" + port : address + ":" + port;
    }
}
