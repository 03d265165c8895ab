package io.meshcap.net;

import io.meshcap.MeshcapException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parsing and printing of IP address literals, never with a name lookup. */
public final class Addresses {

    private static final String IPV4_LITERAL = "\\d{1,3}(\\.\\d{1,3}){3}";
    private static final int IPV6_GROUPS = 8;

    private Addresses() {
    }

    /**
     * Parses an IPv4 or IPv6 literal.
     *
     * @param what names the value in the error message, e.g. {@code "--pod-ip"}
     * @throws MeshcapException (usage) when the text is not a literal address
     */
    public static InetAddress parse(String text, String what) {
        String trimmed = text.strip();
        boolean ipv4 = trimmed.matches(IPV4_LITERAL);
        if (!ipv4 && !trimmed.contains(":")) {
            throw MeshcapException.usage(what + ": '" + text + "' is not an IPv4 or IPv6 address");
        }
        try {
            InetAddress address = InetAddress.getByName(trimmed);
            if (ipv4 && !(address instanceof Inet4Address) || !ipv4 && !(address instanceof Inet6Address)) {
                throw new UnknownHostException(trimmed);
            }
            return address;
        } catch (UnknownHostException e) {
            throw MeshcapException.usage(what + ": '" + text + "' is not an IPv4 or IPv6 address");
        }
    }

    /**
     * The canonical text: dotted quad, or RFC 5952 compressed IPv6 ({@code fd00:1:2::}), the form tshark and
     * iproute2 print, so it compares equal to capture fields.
     */
    public static String format(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        return compressIpv6(address.getAddress());
    }

    private static String compressIpv6(byte[] bytes) {
        int[] groups = new int[IPV6_GROUPS];
        for (int i = 0; i < IPV6_GROUPS; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
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
}
