package io.meshcap.reassoc;

import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import io.meshcap.packet.Checksums;
import io.meshcap.packet.LinkLayer;
import io.meshcap.packet.TcpHeader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds TCP packets by hand for edge cases the lab cannot produce on demand, with valid IPv4 header checksums
 * and the TCP checksum set the way Linux leaves it on lo (not filled in), and converts link layers.
 */
public final class Packets {

    public static final int SYN = TcpHeader.SYN;
    public static final int ACK = TcpHeader.ACK;
    public static final int FIN = TcpHeader.FIN;
    public static final int RST = TcpHeader.RST;
    public static final int PSH_ACK = 0x18;

    private static final int ETHERNET_HEADER = 14;
    private static final int SLL_HEADER = 16;
    private static final int SLL2_HEADER = 20;
    private static final int ARPHRD_LOOPBACK = 772;

    private Packets() {
    }

    /** An endpoint from text, e.g. {@code ep("198.18.0.2", 40000)}. */
    public static FlowEndpoint ep(String address, int port) {
        try {
            return FlowEndpoint.of(InetAddress.getByName(address), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    /** A TCP packet in an IP header (no link layer), the TCP checksum field left 0. */
    public static byte[] ip(FlowEndpoint source, FlowEndpoint destination, int flags, long seq, long ack,
                            byte[] payload) {
        int tcpLength = 20 + payload.length;
        ByteBuffer tcp = ByteBuffer.allocate(tcpLength);
        tcp.putShort((short) source.port()).putShort((short) destination.port()).putInt((int) seq).putInt((int) ack)
                .put((byte) (5 << 4)).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0)
                .put(payload);
        if (!source.isIpv6()) {
            ByteBuffer ip = ByteBuffer.allocate(20 + tcpLength);
            ip.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tcpLength)).putShort((short) 1)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(source.address()).put(destination.address()).put(tcp.array());
            byte[] bytes = ip.array();
            long sum = Checksums.sum(bytes, 0, 20);
            int checksum = Checksums.finish(sum);
            bytes[10] = (byte) (checksum >>> 8);
            bytes[11] = (byte) checksum;
            return bytes;
        }
        ByteBuffer ip = ByteBuffer.allocate(40 + tcpLength);
        ip.putInt(0x60000000).putShort((short) tcpLength).put((byte) 6).put((byte) 64)
                .put(source.address()).put(destination.address()).put(tcp.array());
        return ip.array();
    }

    public static byte[] ip(FlowEndpoint source, FlowEndpoint destination, int flags, long seq, long ack) {
        return ip(source, destination, flags, seq, ack, new byte[0]);
    }

    /** Wraps an IP packet in a link header of {@code linkType} as Linux lo would give it. */
    public static byte[] link(int linkType, byte[] ipPacket) {
        boolean ipv6 = (ipPacket[0] & 0xff) >>> 4 == 6;
        short ethertype = (short) (ipv6 ? 0x86dd : 0x0800);
        return switch (linkType) {
            case LinkType.EN10MB -> ByteBuffer.allocate(ETHERNET_HEADER + ipPacket.length).put(new byte[12])
                    .putShort(ethertype).put(ipPacket).array();
            case LinkType.LINUX_SLL -> ByteBuffer.allocate(SLL_HEADER + ipPacket.length).putShort((short) 0)
                    .putShort((short) ARPHRD_LOOPBACK).putShort((short) 6).put(new byte[8]).putShort(ethertype)
                    .put(ipPacket).array();
            case LinkType.LINUX_SLL2 -> ByteBuffer.allocate(SLL2_HEADER + ipPacket.length).putShort(ethertype)
                    .putShort((short) 0).putInt(1).putShort((short) ARPHRD_LOOPBACK).put((byte) 0).put((byte) 6)
                    .put(new byte[8]).put(ipPacket).array();
            case LinkType.RAW -> ipPacket.clone();
            case LinkType.NULL -> ByteBuffer.allocate(4 + ipPacket.length)
                    .put(new byte[] {(byte) (ipv6 ? 10 : 2), 0, 0, 0}).put(ipPacket).array();
            default -> throw new IllegalArgumentException("link type " + linkType);
        };
    }

    /** Converts a captured frame from one link type to another (the IP packet stays as it is). */
    public static byte[] relink(int from, int to, byte[] frame) {
        int offset = LinkLayer.networkOffset(from, frame);
        return link(to, Arrays.copyOfRange(frame, offset, frame.length));
    }

    /** A record on interface {@code interfaceId} at {@code micros} microseconds. */
    public static CaptureRecord record(int interfaceId, long micros, byte[] frame) {
        return new CaptureRecord(interfaceId, micros * 1000, frame.length, frame);
    }

    public static byte[] text(String payload) {
        return payload.getBytes(StandardCharsets.US_ASCII);
    }
}
