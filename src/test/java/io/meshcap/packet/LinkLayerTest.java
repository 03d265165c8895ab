package io.meshcap.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.LinkType;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class LinkLayerTest {

    private static final int IPV4 = 0x0800;
    private static final int IPV6 = 0x86dd;
    private static final int ARP = 0x0806;

    @Test
    void ethernetOffsetsSkipVlanTags() {
        assertEquals(14, LinkLayer.networkOffset(LinkType.EN10MB, ethernet(IPV4)));
        assertEquals(14, LinkLayer.networkOffset(LinkType.EN10MB, ethernet(IPV6)));
        assertEquals(18, LinkLayer.networkOffset(LinkType.EN10MB, ethernet(0x8100, 0x0001, IPV4)));
        assertEquals(22, LinkLayer.networkOffset(LinkType.EN10MB, ethernet(0x88a8, 0x0001, 0x8100, 0x0002, IPV6)));
        assertEquals(LinkLayer.NOT_IP, LinkLayer.networkOffset(LinkType.EN10MB, ethernet(ARP)));
        assertEquals(LinkLayer.NOT_IP, LinkLayer.networkOffset(LinkType.EN10MB, new byte[10]));
    }

    @Test
    void cookedHeadersCarryTheProtocolInDifferentPlaces() {
        byte[] sll = ByteBuffer.allocate(40).putShort(0, (short) 0).putShort(2, (short) 772)
                .putShort(14, (short) IPV4).array();
        assertEquals(16, LinkLayer.networkOffset(LinkType.LINUX_SLL, sll));
        assertTrue(LinkLayer.isLoopback(LinkType.LINUX_SLL, sll));
        byte[] sll2 = ByteBuffer.allocate(60).putShort(0, (short) IPV6).putShort(8, (short) 1).array();
        assertEquals(20, LinkLayer.networkOffset(LinkType.LINUX_SLL2, sll2));
        assertFalse(LinkLayer.isLoopback(LinkType.LINUX_SLL2, sll2), "hatype 1 is Ethernet");
    }

    @Test
    void bsdLoopbackFamiliesAreReadInEitherByteOrder() {
        assertEquals(4, LinkLayer.networkOffset(LinkType.NULL, new byte[] {2, 0, 0, 0, 0x45}));
        assertEquals(4, LinkLayer.networkOffset(LinkType.NULL, new byte[] {0, 0, 0, 30, 0x60}));
        assertEquals(4, LinkLayer.networkOffset(LinkType.LOOP, new byte[] {0, 0, 0, 2, 0x45}));
        assertEquals(LinkLayer.NOT_IP, LinkLayer.networkOffset(LinkType.NULL, new byte[] {7, 0, 0, 0, 0}));
    }

    @Test
    void rawStartsWithTheIpHeaderAndUnknownTypesAreNotIp() {
        assertEquals(0, LinkLayer.networkOffset(LinkType.RAW, new byte[20]));
        assertFalse(LinkLayer.supports(147));
        assertEquals(LinkLayer.NOT_IP, LinkLayer.networkOffset(147, new byte[40]));
    }

    @Test
    void linuxLoGivesEthernetHeadersWithZeroAddresses() {
        assertTrue(LinkLayer.isLoopback(LinkType.EN10MB, ethernet(IPV4)));
        byte[] eth0 = ethernet(IPV4);
        eth0[0] = 0x02;
        assertFalse(LinkLayer.isLoopback(LinkType.EN10MB, eth0));
        assertFalse(LinkLayer.isLoopback(LinkType.RAW, new byte[20]), "RAW cannot tell");
    }

    private static byte[] ethernet(int... types) {
        ByteBuffer frame = ByteBuffer.allocate(12 + 2 * types.length + 20).put(new byte[12]);
        for (int type : types) {
            frame.putShort((short) type);
        }
        return frame.array();
    }
}
