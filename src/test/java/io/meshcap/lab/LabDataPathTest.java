package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.testing.Tshark.TcpPacket;
import io.meshcap.testing.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
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

    /**
     * Wireshark decodes port 8080 as HTTP, and so never looks for TLS on it by itself ({@code meshcap demo} uses other
     * ports for that reason): these views say it is TLS, as a user's Decode As would.
     */
    private static final List<String> TLS_ON_8080 = List.of("-d", "tcp.port==8080,tls");

    @TempDir
    static Path dir;

    private static Ledger ledger;
    private static Path eth0File;
    private static Path loFile;
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
            eth0File = podEth0.file();
            loFile = podLo.file();
            eth0 = Tshark.tcpPackets(eth0File);
            lo = Tshark.tcpPackets(loFile);
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

    @Test
    void theLegsToTheMeshAreIstioMtlsWithTls13ClientCertificatesSniAndAlpn() throws Exception {
        List<List<String>> hellos = Tshark.query(eth0File, "tls.handshake.type == 1", TLS_ON_8080, "ip.src",
                "ipv6.src", "tcp.srcport", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str");
        assertEquals(ledger.connections().size(), hellos.size(), "one ClientHello per call on eth0");
        for (LedgerEntry entry : ledger.connections()) {
            boolean inbound = entry.kind() == LedgerEntry.Kind.INBOUND;
            Endpoint client = inbound ? entry.client() : entry.serverPeer();
            List<String> hello = hellos.stream().filter(row -> client.address().equals(row.get(0) + row.get(1))
                    && Integer.toString(client.port()).equals(row.get(2))).findFirst().orElseThrow();
            assertEquals("outbound_." + entry.appPort() + "_._." + (inbound ? "app" : "upstream")
                    + ".lab.svc.cluster.local", hello.get(3));
            assertEquals("istio-peer-exchange,istio", hello.get(4));
        }
        Path keys = LAB.lab().keyLog();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
        assertEquals(LabConfig.DEFAULT_PROXY_UID, Files.getAttribute(keys, "unix:uid"), "the sidecar appends to it");
        List<String> keyLogOption = decrypting();
        // Decrypted, the handshake shows TLS 1.3, the server's ALPN choice and both sides' SPIFFE certificates.
        assertEquals(List.of("0x0304"), distinct(Tshark.query(eth0File, "tls.handshake.type == 2", keyLogOption,
                "tls.handshake.extensions.supported_version")));
        assertEquals(List.of("istio-peer-exchange"), distinct(Tshark.query(eth0File, "tls.handshake.type == 8",
                keyLogOption, "tls.handshake.extensions_alpn_str")));
        List<String> identities = Tshark.query(eth0File, "tls.handshake.type == 11", keyLogOption,
                "x509ce.uniformResourceIdentifier").stream().map(row -> row.get(0)).toList();
        assertEquals(2 * ledger.connections().size(), identities.size(), "a certificate from each side");
        assertEquals(List.of("spiffe://cluster.local/ns/lab/sa/app", "spiffe://cluster.local/ns/lab/sa/mesh"),
                identities.stream().distinct().sorted().toList());
    }

    @Test
    void aMergeOfTheLegsWithTheKeyLogShowsEveryCallOnBothWithNoKeySetting() {
        Path merged = dir.resolve("merged.pcapng");
        CliRun run = CliRun.of("merge", "--tls-keylog", LAB.lab().keyLog().toString(), eth0File.toString(),
                loFile.toString(), "-o", merged.toString());
        assertEquals(0, run.exitCode(), run::toString);
        for (LedgerEntry entry : ledger.connections()) {
            List<List<String>> legs = Tshark.query(merged, "http.request.line == \"x-request-id: " + entry.requestId()
                    + "\\r\\n\"", TLS_ON_8080, "frame.interface_name");
            assertEquals(List.of(List.of("eth0.pcap"), List.of("lo.pcap")),
                    legs.stream().sorted((a, b) -> a.get(0).compareTo(b.get(0))).toList(), entry::toString);
        }
    }

    @Test
    void everyCallIsAnHttpRequestOnBothLegsOnceTheKeyLogDecryptsEth0() {
        assertEquals(List.of(), Tshark.query(eth0File, "http.request", TLS_ON_8080, "frame.number"), "eth0 is encrypted");
        for (LedgerEntry entry : ledger.connections()) {
            String sameCall = "http.request.line == \"x-request-id: " + entry.requestId() + "\\r\\n\"";
            assertEquals(1, Tshark.fields(loFile, sameCall, "frame.number").size(), "lo is plaintext: " + entry);
            List<List<String>> decrypted = Tshark.query(eth0File, sameCall, decrypting(), "http.request.uri",
                    "http.host");
            assertEquals(List.of(List.of("/lab/call/" + entry.id(), (entry.kind() == LedgerEntry.Kind.INBOUND ? "app"
                    : "upstream") + ".lab.svc.cluster.local:" + entry.appPort())), decrypted, entry::toString);
        }
    }

    /** tshark options that decrypt with the lab's key log, as a user who has it would. */
    private static List<String> decrypting() {
        List<String> options = new ArrayList<>(TLS_ON_8080);
        options.addAll(List.of("-o", "tls.keylog_file:" + LAB.lab().keyLog()));
        return options;
    }

    private static List<String> distinct(List<List<String>> rows) {
        return rows.stream().map(row -> row.get(0)).distinct().toList();
    }

    private static IpFamily family(LedgerEntry entry) {
        return entry.family().equals(IpFamily.IPV4.label()) ? IpFamily.IPV4 : IpFamily.IPV6;
    }
}
