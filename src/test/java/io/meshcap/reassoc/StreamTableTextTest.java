package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code meshcap streams} prints and what {@code merge --reassociate} writes on each connection's first packet,
 * for hand-built connections of every kind the table reports: a join each way, plaintext on both mTLS legs, TLS on a
 * port Wireshark gives to HTTP, and two concurrent calls on one port. Every expected line is written out by hand from
 * the connections below (times in microseconds from the epoch, client ISN 100, server ISN 500).
 */
class StreamTableTextTest {

    private static final int LO = 0;
    private static final int ETH0 = 1;
    private static final String POD = "198.18.0.2";
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);
    private static final byte[] GET = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static StreamTable table;

    @BeforeAll
    static void connections() throws Exception {
        table = new StitcherTest.Capture()
                .connection(LO, ep(POD, 40000), ORIG, 0, 1000)
                .connection(ETH0, ep(POD, 40002), ORIG, 100, 900, GET)
                .connection(ETH0, ep("198.18.0.7", 50000), ep(POD, 9080), 2000, 3000,
                        "GET /x HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII))
                .connection(LO, ep("127.0.0.6", 50001), ep(POD, 9080), 2100, 2900)
                .connection(ETH0, ep(POD, 40005), ep("198.18.0.9", 8080), 4000, 4900,
                        StitcherTest.clientHello("example.com", "h2"))
                .connection(LO, ep(POD, 40010), ORIG, 10_000, 100_000)
                .connection(ETH0, ep(POD, 40110), ORIG, 11_000, 100_000)
                .connection(LO, ep(POD, 40011), ORIG, 20_000, 100_000)
                .connection(ETH0, ep(POD, 40111), ORIG, 21_000, 100_000)
                .table();
    }

    @Test
    void theTableListsEveryConnectionThenDecryptionJoinsAmbiguitiesPlaintextAndTheLegs() {
        assertEquals(List.of(
                "stream  start (UTC)      leg             client            server           interface  packets  state "
                        + "  decryption  tls",
                "0       00:00:00.000000  outbound-plain  198.18.0.2:40000  198.18.0.1:8080  pod/lo     5        closed "
                        + " -           -",
                "1       00:00:00.000100  outbound-mtls   198.18.0.2:40002  198.18.0.1:8080  pod/eth0   6        closed "
                        + " -           plaintext",
                "2       00:00:00.002000  inbound-mtls    198.18.0.7:50000  198.18.0.2:9080  pod/eth0   6        closed "
                        + " -           plaintext",
                "3       00:00:00.002100  inbound-plain   127.0.0.6:50001   198.18.0.2:9080  pod/lo     5        closed "
                        + " -           -",
                "4       00:00:00.004000  outbound-mtls   198.18.0.2:40005  198.18.0.9:8080  pod/eth0   6        closed "
                        + " no key log  TLS (SNI example.com, ALPN h2)",
                "5       00:00:00.010000  outbound-plain  198.18.0.2:40010  198.18.0.1:8080  pod/lo     5        closed "
                        + " -           -",
                "6       00:00:00.011000  outbound-mtls   198.18.0.2:40110  198.18.0.1:8080  pod/eth0   5        closed "
                        + " -           -",
                "7       00:00:00.020000  outbound-plain  198.18.0.2:40011  198.18.0.1:8080  pod/lo     5        closed "
                        + " -           -",
                "8       00:00:00.021000  outbound-mtls   198.18.0.2:40111  198.18.0.1:8080  pod/eth0   5        closed "
                        + " -           -",
                "",
                "decryption: 0 of 1 TLS connections decrypted; 0 of 2 joins exact (same request)",
                "  stream 4: no key log: the capture holds no key log (Decryption Secrets Block) and none was given"
                        + " with --tls-keylog",
                "",
                "joins (2):",
                "  outbound stream 0 <-> stream 1: same destination, opened 0.100 ms after",
                "  inbound  stream 2 <-> stream 3: same pod address and port, opened 0.100 ms after",
                "ambiguous (2):",
                "  outbound stream 5, candidates:",
                "             stream 6: same destination, opened 1.000 ms after; also a candidate for 1 other stream",
                "             stream 8: same destination, opened 11.000 ms after; also a candidate for 1 other stream",
                "  outbound stream 7, candidates:",
                "             stream 6: same destination, an upstream connection already open (pooled); also a"
                        + " candidate for 1 other stream",
                "             stream 8: same destination, opened 1.000 ms after; also a candidate for 1 other stream",
                "plaintext on mTLS legs (2):",
                "  " + OUTBOUND_PLAINTEXT,
                "  " + INBOUND_PLAINTEXT,
                "legs:",
                "  inbound-mtls    eth0: client to the pod",
                "  inbound-plain   lo: sidecar to the app",
                "  outbound-plain  lo: app to the original destination",
                "  outbound-mtls   eth0: sidecar to an upstream endpoint",
                "  redirected      lo: app to the sidecar's capture port, not re-associated",
                "  self-call       lo: sidecar to its own pod's address",
                "  local           lo: between loopback addresses",
                "  other           not a sidecar leg meshcap recognises"), table.describe().lines().toList());
    }

    private static final String OUTBOUND_PLAINTEXT = "pod/eth0 (outbound-mtls): 1 of 4 connections carry plaintext, not"
            + " TLS (stream 1): the proxy sends plaintext upstream (a destination outside the mesh, or TLS disabled by a"
            + " DestinationRule), or these calls bypassed the proxy";
    private static final String INBOUND_PLAINTEXT = "pod/eth0 (inbound-mtls): 1 of 1 connections carry plaintext, not"
            + " TLS (stream 2): the pod accepts plaintext (PeerAuthentication mode PERMISSIVE or DISABLE) and these"
            + " clients have no sidecar, or bypass it";

    @Test
    void plaintextOnEachMutualTlsLegAndTlsOnAnHttpPortAreEachOneNote() {
        assertEquals(List.of(OUTBOUND_PLAINTEXT, INBOUND_PLAINTEXT), table.plaintextOnMutualTlsLegs());
        assertEquals(List.of("Wireshark dissects port 8080 as http, not TLS: to read its 1 TLS connection, decode the"
                + " port as TLS: tshark -d tcp.port==8080,tls (Wireshark: Analyze > Decode As)"),
                table.tlsOnPortsWiresharkGivesToOtherProtocols());
    }

    /** Keyed by the first packet's position in the records (0-based): stream 1's SYN is the fourth record. */
    @Test
    void eachConnectionsFirstPacketSaysItsLegJoinOrCandidatesTlsAndPlaintext() {
        var comments = table.firstPacketComments();
        assertEquals(List.of(0L, 3L, 11L, 15L, 22L, 28L, 31L, 34L, 37L), comments.keySet().stream().sorted().toList());
        assertEquals("meshcap stream 1: 198.18.0.2:40002 > 198.18.0.1:8080 (pod/eth0, outbound-mtls); joined with"
                + " stream 0 198.18.0.2:40000 > 198.18.0.1:8080 (pod/lo, outbound-plain): same destination, opened"
                + " 0.100 ms after; plaintext on an mTLS leg, not TLS", comments.get(3L));
        assertEquals("meshcap stream 3: 127.0.0.6:50001 > 198.18.0.2:9080 (pod/lo, inbound-plain); joined with"
                + " stream 2 198.18.0.7:50000 > 198.18.0.2:9080 (pod/eth0, inbound-mtls): same pod address and port,"
                + " opened 0.100 ms after", comments.get(15L));
        assertEquals("meshcap stream 4: 198.18.0.2:40005 > 198.18.0.9:8080 (pod/eth0, outbound-mtls); TLS (SNI"
                + " example.com, ALPN h2); decryption: no key log", comments.get(22L));
        assertEquals("meshcap stream 7: 198.18.0.2:40011 > 198.18.0.1:8080 (pod/lo, outbound-plain); not joined,"
                + " candidates: stream 6 198.18.0.2:40110 > 198.18.0.1:8080 (pod/eth0, outbound-mtls) (same destination,"
                + " an upstream connection already open (pooled); also a candidate for 1 other stream); stream 8"
                + " 198.18.0.2:40111 > 198.18.0.1:8080 (pod/eth0, outbound-mtls) (same destination, opened 1.000 ms"
                + " after; also a candidate for 1 other stream)", comments.get(34L));
        assertEquals("meshcap stream 8: 198.18.0.2:40111 > 198.18.0.1:8080 (pod/eth0, outbound-mtls); may continue"
                + " stream 5 198.18.0.2:40010 > 198.18.0.1:8080 (pod/lo, outbound-plain) (same destination, opened"
                + " 11.000 ms after; also a candidate for 1 other stream); other candidates exist; may continue stream 7"
                + " 198.18.0.2:40011 > 198.18.0.1:8080 (pod/lo, outbound-plain) (same destination, opened 1.000 ms"
                + " after; also a candidate for 1 other stream); other candidates exist", comments.get(37L));
    }

    /** SYN, ACK, the request segments and FIN one way; SYN-ACK and FIN the other; the last packet 1 µs after FIN. */
    @Test
    void theJsonCarriesEachConnectionsCountsTimesAndTls() throws Exception {
        JsonNode json = new ObjectMapper().readTree(table.toJson());
        JsonNode plaintext = json.get("streams").get(1);
        assertEquals(List.of(1, 100_000L, 901_000L, 4L, 2L, 18L, 0L, 4L, true, true), List.of(
                plaintext.get("interfaceId").asInt(), plaintext.get("startNanos").asLong(),
                plaintext.get("endNanos").asLong(), plaintext.get("packetsToServer").asLong(),
                plaintext.get("packetsToClient").asLong(), plaintext.get("bytesToServer").asLong(),
                plaintext.get("bytesToClient").asLong(), plaintext.get("firstFrame").asLong(),
                plaintext.get("handshake").asBoolean(), plaintext.get("plaintext").asBoolean()));
        JsonNode tls = json.get("streams").get(4).get("tls");
        assertEquals("example.com", tls.get("sni").asText());
        assertEquals("h2", tls.get("alpn").get(0).asText());
        assertEquals(false, tls.get("istio").asBoolean());
        assertEquals("no key log", json.get("streams").get(4).get("decryption").get("status").asText());
        assertEquals("outbound", json.get("joins").get(0).get("direction").asText());
        assertEquals(7, json.get("ambiguous").get(1).get("from").asInt());
        assertEquals(8, json.get("ambiguous").get(1).get("candidates").get(1).get("stream").asInt());
    }
}
