package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.istio.IstioDefaults;
import io.meshcap.testing.Tshark.TcpPacket;
import io.meshcap.testing.Tshark;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab reproduces the sidecar data path of design.md: recorded on the pod's eth0 and lo and on the mesh side,
 * every connection of a traffic run shows up exactly where a real Istio pod would show it, in both families.
 */
class LabDataPathTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withIpv6(true));

    @TempDir
    static Path dir;

    private static Ledger ledger;
    private static List<TcpPacket> eth0;
    private static List<TcpPacket> lo;
    private static List<TcpPacket> mesh;

    @BeforeAll
    static void recordTraffic() throws Exception {
        LabTopology topology = LAB.topology();
        try (Recording podEth0 = LAB.record(topology.podNamespace(), LabTopology.POD_INTERFACE,
                        dir.resolve("eth0.pcap"));
                Recording podLo = LAB.record(topology.podNamespace(), "lo", dir.resolve("lo.pcap"));
                Recording meshSide = LAB.record(topology.meshNamespace(), LabTopology.MESH_INTERFACE,
                        dir.resolve("mesh.pcap"))) {
            ledger = LAB.traffic(2, 2);
            podEth0.stop();
            podLo.stop();
            meshSide.stop();
            eth0 = Tshark.tcpPackets(podEth0.file());
            lo = Tshark.tcpPackets(podLo.file());
            mesh = Tshark.tcpPackets(meshSide.file());
        }
    }

    @Test
    void everyConnectionCarriesItsPayloadBothWays() {
        assertEquals(8, ledger.connections().size(), "2 inbound + 2 outbound per family");
        assertTrue(ledger.allVerified(), ledger::toJson);
        for (LedgerEntry entry : ledger.connections()) {
            assertEquals(entry.requestSha256(), entry.responseSha256());
            assertEquals(entry.requestBytes(), entry.responseBytes());
        }
    }

    @Test
    void theAppSeesTheSidecarsInboundBindAddress() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.INBOUND)) {
            IpFamily family = family(entry);
            assertEquals("app", entry.serverRole());
            assertEquals(family.inboundBind(), entry.serverPeer().address(), entry::toString);
            assertEquals(entry.destination(), entry.serverLocal(), "the sidecar connects to the original destination");
            assertEquals(LAB.topology().meshIp(family), entry.client().address());
        }
    }

    @Test
    void theUpstreamSeesThePodIpOnTheSidecarsOwnConnection() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            String podIp = LAB.topology().podIp(family(entry));
            assertEquals("upstream", entry.serverRole());
            assertEquals(podIp, entry.client().address());
            assertEquals(podIp, entry.serverPeer().address());
            assertNotEquals(entry.client().port(), entry.serverPeer().port(), "a second connection, not the app's");
            assertTrue(mesh.stream().anyMatch(p -> p.isSyn() && p.source().equals(entry.serverPeer())
                    && p.destination().equals(entry.destination())), "upstream SYN from POD_IP on the mesh side");
        }
    }

    @Test
    void outboundShowsOnLoAsTwoHalfConversations() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            IpFamily family = family(entry);
            Endpoint capturePort = new Endpoint(family == IpFamily.IPV4 ? "127.0.0.1" : "::1", IstioDefaults.OUTBOUND_CAPTURE_PORT);
            assertTrue(lo.stream().anyMatch(p -> p.isSyn() && p.source().equals(entry.client())
                    && p.destination().equals(capturePort)), "request direction POD_IP:eph > loopback:15001");
            assertTrue(lo.stream().anyMatch(p -> p.source().equals(entry.destination())
                    && p.destination().equals(entry.client())), "reply direction ORIG:port > POD_IP:eph");
            assertFalse(lo.stream().anyMatch(p -> p.destination().equals(entry.destination())),
                    "the request direction never shows the original destination on lo");
        }
    }

    @Test
    void outboundShowsOnEth0AsTheSidecarsUpstreamConnection() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            assertTrue(eth0.stream().anyMatch(p -> p.isSyn() && p.source().equals(entry.serverPeer())
                    && p.destination().equals(entry.destination())), "POD_IP:eph2 > ORIG:port on eth0");
            assertFalse(eth0.stream().anyMatch(p -> p.source().equals(entry.client())),
                    "the app's own connection never leaves the pod");
        }
    }

    @Test
    void inboundShowsOnEth0AsTheClientsConnectionAndOnLoFrom127006() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.INBOUND)) {
            assertTrue(eth0.stream().anyMatch(p -> p.isSyn() && p.source().equals(entry.client())
                    && p.destination().equals(entry.destination())), "C:eph > POD_IP:port on eth0");
            assertTrue(eth0.stream().anyMatch(p -> p.source().equals(entry.destination())
                    && p.destination().equals(entry.client())), "POD_IP:port > C:eph on eth0, un-NATed");
            assertTrue(lo.stream().anyMatch(p -> p.isSyn() && p.source().equals(entry.serverPeer())
                    && p.destination().equals(entry.serverLocal())), "127.0.0.6:eph > POD_IP:port on lo");
        }
    }

    @Test
    void theCapturePortsNeverAppearOnEth0() {
        assertFalse(eth0.isEmpty());
        for (TcpPacket packet : eth0) {
            for (int port : List.of(IstioDefaults.INBOUND_CAPTURE_PORT, IstioDefaults.OUTBOUND_CAPTURE_PORT)) {
                assertNotEquals(port, packet.source().port(), packet::toString);
                assertNotEquals(port, packet.destination().port(), packet::toString);
            }
        }
    }

    private static IpFamily family(LedgerEntry entry) {
        return entry.family().equals(IpFamily.IPV4.label()) ? IpFamily.IPV4 : IpFamily.IPV6;
    }
}
