package io.meshcap.packet;

import io.meshcap.format.LinkType;
import java.util.Set;

/**
 * The link layer of the link types meshcap captures: where the network header starts. Supports EN10MB (with up
 * to two 802.1Q/802.1ad tags), LINUX_SLL, LINUX_SLL2, RAW/IPV4/IPV6 and NULL/LOOP (BSD loopback).
 */
public final class LinkLayer {

    /** Returned when the record does not carry IPv4 or IPv6 (ARP, an unknown link type, a cut header). */
    public static final int NOT_IP = -1;

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86dd;
    /** 802.1Q, 802.1ad and the older QinQ tag. */
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88a8;
    private static final int ETHERTYPE_QINQ_OLD = 0x9100;
    private static final int MAX_VLAN_TAGS = 2;

    private static final int ETHERNET_TYPE = 12;
    private static final int VLAN_TAG = 4;
    private static final int SLL_PROTOCOL = 14;
    private static final int SLL_HEADER = 16;
    private static final int SLL2_PROTOCOL = 0;
    private static final int SLL2_HEADER = 20;
    private static final int NULL_HEADER = 4;
    private static final int ETHERNET_ADDRESSES = 12;
    private static final int SLL_HATYPE = 2;
    private static final int SLL2_HATYPE = 8;
    /** ARPHRD_LOOPBACK: the device type Linux reports for lo. */
    private static final int HATYPE_LOOPBACK = 772;
    private static final int AF_INET = 2;
    /** AF_INET6 differs per system: Linux, NetBSD/OpenBSD, FreeBSD, macOS. */
    private static final Set<Long> AF_INET6 = Set.of(10L, 24L, 28L, 30L);

    private LinkLayer() {
    }

    /** Whether meshcap can find the network header for this link type at all. */
    public static boolean supports(int linkType) {
        return switch (linkType) {
            case LinkType.EN10MB, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.IPV4,
                    LinkType.IPV6, LinkType.NULL, LinkType.LOOP -> true;
            default -> false;
        };
    }

    /**
     * The offset of the IPv4 or IPv6 header in {@code data}, or {@link #NOT_IP}. The header's own version field
     * is not checked here; {@link TcpSegment#parse} does that.
     */
    public static int networkOffset(int linkType, byte[] data) {
        return networkOffset(linkType, data, 0, data.length);
    }

    /**
     * The offset in {@code data} of the IPv4 or IPv6 header of the packet that lies in {@code data} from {@code from}
     * to {@code end} (a reader's buffer holds many), or {@link #NOT_IP}.
     */
    public static int networkOffset(int linkType, byte[] data, int from, int end) {
        return switch (linkType) {
            case LinkType.EN10MB -> ethernet(data, from, end);
            case LinkType.LINUX_SLL -> byEthertype(data, from, end, SLL_PROTOCOL, SLL_HEADER);
            case LinkType.LINUX_SLL2 -> byEthertype(data, from, end, SLL2_PROTOCOL, SLL2_HEADER);
            case LinkType.RAW, LinkType.IPV4, LinkType.IPV6 -> from;
            case LinkType.NULL -> bsdLoopback(data, from, end, false);
            case LinkType.LOOP -> bsdLoopback(data, from, end, true);
            default -> NOT_IP;
        };
    }

    /**
     * Whether the link header says the packet went over a loopback device: the BSD loopback types, Linux cooked
     * headers with device type ARPHRD_LOOPBACK (an {@code any} capture mixes lo and eth0 in one interface), and
     * Ethernet headers whose addresses are all zero (what Linux lo gives tcpdump). RAW headers cannot tell.
     */
    public static boolean isLoopback(int linkType, byte[] data) {
        return isLoopback(linkType, data, 0, data.length);
    }

    /** {@link #isLoopback(int, byte[])} of the packet that lies in {@code data} from {@code from} to {@code end}. */
    public static boolean isLoopback(int linkType, byte[] data, int from, int end) {
        int length = end - from;
        return switch (linkType) {
            case LinkType.NULL, LinkType.LOOP -> true;
            case LinkType.LINUX_SLL -> length >= SLL_HEADER && Bytes.u16(data, from + SLL_HATYPE) == HATYPE_LOOPBACK;
            case LinkType.LINUX_SLL2 -> length >= SLL2_HEADER
                    && Bytes.u16(data, from + SLL2_HATYPE) == HATYPE_LOOPBACK;
            case LinkType.EN10MB -> length >= ETHERNET_ADDRESSES && allZero(data, from, ETHERNET_ADDRESSES);
            default -> false;
        };
    }

    private static boolean allZero(byte[] data, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (data[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static int ethernet(byte[] data, int from, int end) {
        int typeAt = from + ETHERNET_TYPE;
        for (int tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
            if (end < typeAt + 2) {
                return NOT_IP;
            }
            int type = Bytes.u16(data, typeAt);
            if (!isVlanTag(type)) {
                return isIp(type) ? typeAt + 2 : NOT_IP;
            }
            typeAt += VLAN_TAG;
        }
        return NOT_IP;
    }

    private static int byEthertype(byte[] data, int from, int end, int protocolAt, int headerLength) {
        if (end - from < headerLength) {
            return NOT_IP;
        }
        return isIp(Bytes.u16(data, from + protocolAt)) ? from + headerLength : NOT_IP;
    }

    /** NULL stores the address family in the writer's byte order, LOOP in network order. */
    private static int bsdLoopback(byte[] data, int from, int end, boolean networkOrder) {
        if (end - from < NULL_HEADER) {
            return NOT_IP;
        }
        long family = Bytes.u32(data, from);
        if (!networkOrder && family > Short.MAX_VALUE) {
            family = Bytes.u32LittleEndian(data, from);
        }
        return family == AF_INET || AF_INET6.contains(family) ? from + NULL_HEADER : NOT_IP;
    }

    /** Compared directly rather than looked up in a set: this runs for every packet. */
    private static boolean isVlanTag(int ethertype) {
        return ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ || ethertype == ETHERTYPE_QINQ_OLD;
    }

    private static boolean isIp(int ethertype) {
        return ethertype == ETHERTYPE_IPV4 || ethertype == ETHERTYPE_IPV6;
    }
}
