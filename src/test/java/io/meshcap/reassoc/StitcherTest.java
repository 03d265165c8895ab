package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.FIN;
import static io.meshcap.reassoc.Packets.PSH_ACK;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import org.junit.jupiter.api.Test;

/** Legs, joins, ambiguity and TLS detection on hand-built connections. */
class StitcherTest {

    private static final int LO = 0;
    private static final int ETH0 = 1;
    private static final List<CaptureInterface> INTERFACES = List.of(
            new CaptureInterface(LinkType.EN10MB, 0, "pod/lo", null),
            new CaptureInterface(LinkType.EN10MB, 0, "pod/eth0", null));
    private static final String POD = "198.18.0.2";
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);
    private static final String ISTIO_SNI = "outbound_.9080_._.reviews.default.svc.cluster.local";

    /** Records of several connections, fed to a stitcher in time order. */
    static final class Capture {
        final List<CaptureRecord> records = new ArrayList<>();

        /** A whole connection: handshake at {@code startMicros}, one request, FINs at {@code endMicros}. */
        Capture connection(int iface, FlowEndpoint client, FlowEndpoint server, long startMicros, long endMicros,
                           byte[]... requestSegments) {
            handshake(iface, client, server, startMicros);
            long seq = 101;
            long t = startMicros + 3;
            for (byte[] segment : requestSegments) {
                add(iface, t++, ip(client, server, PSH_ACK, seq, 501, segment));
                seq += segment.length;
            }
            add(iface, endMicros, ip(client, server, FIN | ACK, seq, 501));
            add(iface, endMicros + 1, ip(server, client, FIN | ACK, 501, seq + 1));
            return this;
        }

        /** The three-way handshake from {@code startMicros}: client ISN 100, server ISN 500. */
        Capture handshake(int iface, FlowEndpoint client, FlowEndpoint server, long startMicros) {
            add(iface, startMicros, ip(client, server, SYN, 100, 0));
            add(iface, startMicros + 1, ip(server, client, SYN | ACK, 500, 101));
            return add(iface, startMicros + 2, ip(client, server, ACK, 101, 501));
        }

        Capture add(int iface, long micros, byte[] ipPacket) {
            byte[] frame = link(LinkType.EN10MB, ipPacket);
            if (iface == ETH0) {
                // Real Ethernet addresses, so the link header does not look like lo's.
                Arrays.fill(frame, 0, 12, (byte) 0x02);
            }
            records.add(Packets.record(iface, micros, frame));
            return this;
        }

        StreamTable table() {
            Stitcher stitcher = new Stitcher(RedirectPorts.istioDefaults());
            records.stream().sorted(Comparator.comparingLong(CaptureRecord::timestampNanos))
                    .forEach(record -> stitcher.apply(INTERFACES.get(record.interfaceId()), record));
            return stitcher.table();
        }
    }

    @Test
    void legsAreToldFromTheInterfaceAndTheAddresses() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 40000), ORIG, 0, 1000)
                .connection(ETH0, ep(POD, 40002), ORIG, 100, 900)
                .connection(ETH0, ep("198.18.0.1", 50000), ep(POD, 9080), 2000, 3000)
                .connection(LO, ep("127.0.0.6", 50001), ep(POD, 9080), 2100, 2900)
                .connection(LO, ep("127.0.0.1", 50002), ep("127.0.0.1", 15000), 4000, 4100)
                .connection(LO, ep(POD, 40003), ep("127.0.0.1", 15001), 5000, 5100)
                .table();
        assertEquals(List.of("outbound-plain", "outbound-mtls", "inbound-mtls", "inbound-plain", "local", "redirected"),
                table.streams().stream().map(StreamSummary::leg).toList());
        assertEquals(List.of(new StreamTable.Join("outbound", 0, 1, "same destination, opened 0.100 ms after"),
                        new StreamTable.Join("inbound", 2, 3, "same pod address and port, opened 0.100 ms after")),
                table.joins());
        assertTrue(table.ambiguous().isEmpty());
        StreamSummary first = table.streams().get(0);
        assertEquals("198.18.0.2:40000", first.client());
        assertEquals("198.18.0.1:8080", first.server());
        assertEquals("closed", first.state());
        assertEquals(1, first.firstFrame());
    }

    @Test
    void concurrentCallsOnTheSamePortAreListedAsCandidatesNotGuessed() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 40000), ORIG, 0, 100_000)
                .connection(ETH0, ep(POD, 40100), ORIG, 1000, 100_000)
                .connection(LO, ep(POD, 40001), ORIG, 10_000, 100_000)
                .connection(ETH0, ep(POD, 40101), ORIG, 11_000, 100_000)
                .table();
        assertTrue(table.joins().isEmpty(), table.describe());
        assertEquals(2, table.ambiguous().size());
        StreamTable.Ambiguity second = table.ambiguous().get(1);
        assertEquals(2, second.from());
        assertEquals(List.of(1, 3), second.candidates().stream().map(StreamTable.Candidate::stream).toList());
        assertTrue(second.candidates().get(0).reason().contains("already open (pooled)"), second.toString());
        assertTrue(second.candidates().get(1).reason().contains("also a candidate for 1 other stream"),
                second.toString());
        String comments = String.join("\n", table.firstPacketComments().values());
        assertTrue(comments.contains("not joined, candidates: stream 1"), comments);
    }

    @Test
    void oneAppConnectionOnAPooledUpstreamIsJoinedAndSaysSo() {
        StreamTable table = new Capture()
                .connection(ETH0, ep(POD, 40100), ORIG, 0, 100_000)
                .connection(LO, ep(POD, 40000), ORIG, 50_000, 60_000)
                .table();
        assertEquals(1, table.joins().size(), table.describe());
        assertTrue(table.joins().get(0).reason().contains("pooled"), table.joins().toString());
    }

    @Test
    void anIstioClientHelloFromJavasSslEngineIsRecognisedAcrossTwoSegments() throws Exception {
        byte[] hello = clientHello(ISTIO_SNI, "istio-peer-exchange", "istio");
        int half = hello.length / 2;
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 40000), ep("198.18.0.1", 9080), 0, 1000)
                .connection(ETH0, ep(POD, 40002), ep("198.18.0.1", 9080), 100, 900,
                        Arrays.copyOf(hello, half), Arrays.copyOfRange(hello, half, hello.length))
                .table();
        StreamSummary.Tls tls = table.streams().get(1).tls();
        assertEquals(ISTIO_SNI, tls.sni());
        assertEquals(List.of("istio-peer-exchange", "istio"), tls.alpn());
        assertTrue(tls.istio());
        // RFC 8446 4.1.2: the random follows a 5-byte record header, a 4-byte handshake header and the version.
        assertEquals(HexFormat.of().formatHex(hello, 11, 43), tls.clientRandom());
        assertNull(table.streams().get(0).tls(), "no TLS on the plaintext leg");
        assertTrue(table.firstPacketComments().get(table.streams().get(1).firstFrame() - 1)
                .contains("Istio mTLS (SNI " + ISTIO_SNI + ", ALPN istio-peer-exchange,istio)"));
    }

    @Test
    void otherTlsAndPlaintextAreNotIstio() throws Exception {
        StreamTable table = new Capture()
                .connection(ETH0, ep(POD, 40002), ep("198.18.0.9", 443), 0, 900, clientHello("example.com", "h2"))
                .connection(ETH0, ep(POD, 40003), ep("198.18.0.9", 80), 1000, 1900,
                        "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII))
                .table();
        StreamSummary.Tls tls = table.streams().get(0).tls();
        assertEquals("example.com", tls.sni());
        assertFalse(tls.istio());
        assertNull(table.streams().get(1).tls());
    }

    @Test
    void clientHelloParsingNeedsTheWholeHelloAndRejectsOtherBytes() throws Exception {
        byte[] hello = clientHello(ISTIO_SNI, "istio");
        assertTrue(ClientHello.parse(hello, 3) instanceof ClientHello.NeedMore);
        assertTrue(ClientHello.parse(hello, hello.length - 1) instanceof ClientHello.NeedMore);
        assertTrue(ClientHello.parse(hello, hello.length) instanceof ClientHello.Parsed);
        byte[] withEarlyData = Arrays.copyOf(hello, hello.length + 10);
        System.arraycopy(new byte[] {23, 3, 3, 0, 5}, 0, withEarlyData, hello.length, 5);
        assertTrue(ClientHello.parse(withEarlyData, withEarlyData.length) instanceof ClientHello.Parsed);
        byte[] http = "GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII);
        assertTrue(ClientHello.parse(http, http.length) instanceof ClientHello.NotHello);
    }

    @Test
    void manySequentialCallsOnOnePortEachJoinTheirOwnUpstream() {
        Capture capture = new Capture();
        int calls = 500;
        for (int i = 0; i < calls; i++) {
            long t = i * 10_000L;
            capture.connection(LO, ep(POD, 30000 + i), ORIG, t, t + 5000)
                    .connection(ETH0, ep(POD, 40000 + i), ORIG, t + 100, t + 4900);
        }
        StreamTable table = capture.table();
        assertEquals(calls, table.joins().size());
        for (StreamTable.Join join : table.joins()) {
            assertEquals(join.from() + 1, join.to());
        }
    }

    /**
     * HTTP/1.1 calls with {@code Connection: close}, back to back, as they are captured: the server closes the
     * upstream after its response, the sidecar closes the app connection, the app at once opens the next one and
     * the sidecar a fresh upstream for it; the server's last ACK of the closed upstream crosses the network only
     * after that. The closed upstream is no pooled candidate for the next call.
     */
    @Test
    void backToBackCallsOnFreshUpstreamsJoinExactlyThoughTheClosedUpstreamsLastAckComesLater() {
        Capture capture = new Capture();
        int calls = 20;
        for (int i = 0; i < calls; i++) {
            long t = i * 5000L;
            FlowEndpoint app = ep(POD, 30000 + i);
            FlowEndpoint upstream = ep(POD, 40000 + i);
            capture.handshake(LO, app, ORIG, t)
                    .handshake(ETH0, upstream, ORIG, t + 100)
                    .add(ETH0, t + 4000, ip(ORIG, upstream, FIN | ACK, 501, 101))
                    .add(ETH0, t + 4001, ip(upstream, ORIG, FIN | ACK, 101, 502))
                    .add(LO, t + 4010, ip(ORIG, app, FIN | ACK, 501, 101))
                    .add(LO, t + 4011, ip(app, ORIG, FIN | ACK, 101, 502))
                    .add(LO, t + 4012, ip(ORIG, app, ACK, 502, 102))
                    .add(ETH0, t + 5300, ip(ORIG, upstream, ACK, 502, 102));
        }
        StreamTable table = capture.table();
        assertTrue(table.ambiguous().isEmpty(), table.describe());
        List<StreamTable.Join> expected = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            expected.add(new StreamTable.Join("outbound", 2 * i, 2 * i + 1, "same destination, opened 0.100 ms after"));
        }
        assertEquals(expected, table.joins());
    }

    @Test
    void aConnectionToTheAppThatClosedBeforeTheClientConnectedIsNoPooledCandidate() {
        FlowEndpoint sidecar = ep("127.0.0.6", 50001);
        FlowEndpoint appPort = ep(POD, 9080);
        StreamTable table = new Capture()
                .handshake(LO, sidecar, appPort, 0)
                .add(LO, 500, ip(appPort, sidecar, FIN | ACK, 501, 101))
                .connection(ETH0, ep("198.18.0.1", 50000), appPort, 600, 700)
                .add(LO, 800, ip(sidecar, appPort, ACK, 101, 502))
                .table();
        assertTrue(table.joins().isEmpty() && table.ambiguous().isEmpty(), table.describe());
    }

    @Test
    void theSidecarCallingItsOwnPodIsASelfCallThatContinuesOnTheInboundSide() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 40000), ORIG, 0, 100)
                .connection(LO, ep(POD, 40001), ep(POD, 8080), 200, 300)
                .connection(LO, ep("127.0.0.6", 50000), ep(POD, 8080), 210, 290)
                .table();
        assertEquals("self-call", table.streams().get(1).leg());
        assertEquals(List.of(new StreamTable.Join("self-call", 1, 2, "same pod address and port, opened 0.010 ms after")),
                table.joins());
    }

    @Test
    void aNewSynOnTheSameFourTupleIsANewStream() {
        FlowEndpoint client = ep(POD, 40000);
        StreamTable table = new Capture()
                .connection(LO, client, ORIG, 0, 100)
                .connection(LO, client, ORIG, 1000, 1100)
                .table();
        assertEquals(2, table.streams().size());
    }

    @Test
    void manyConnectionsOfOneHostStayApartAcrossInterfacesAddressFamiliesAndPortReuse() {
        // Consecutive client ports to one server, the same four-tuples on lo and on eth0, over IPv4 and IPv6, each
        // connection's ports used again later: the stitcher's index of current streams grows past its first size,
        // its hashes meet where only the interface tells connections apart, and a reused port replaces its stream.
        Capture capture = new Capture();
        FlowEndpoint server6 = ep("2001:db8::1", 8080);
        for (long start : new long[] {0, 10_000}) {
            for (int i = 0; i < 40; i++) {
                for (int iface : new int[] {LO, ETH0}) {
                    capture.connection(iface, ep(POD, 40000 + i), ORIG, start + 10 * i, start + 10 * i + 5);
                    capture.connection(iface, ep("2001:db8:0:1::2", 40000 + i), server6, start + 10 * i,
                            start + 10 * i + 5);
                }
            }
        }
        List<StreamSummary> streams = capture.table().streams();
        assertEquals(320, streams.size());
        for (StreamSummary stream : streams) {
            // SYN, ACK, FIN from the client; SYN-ACK, FIN from the server.
            assertEquals(3, stream.packetsToServer(), stream.toString());
            assertEquals(2, stream.packetsToClient(), stream.toString());
            assertEquals("closed", stream.state(), stream.toString());
        }
        StreamSummary last = streams.get(319);
        assertEquals("[2001:db8:0:1::2]:40039", last.client());
        assertEquals("[2001:db8::1]:8080", last.server());
        assertEquals(ETH0, last.interfaceId());
    }

    /** The first flight of a TLS client built by the JDK, with the given SNI and ALPN. */
    static byte[] clientHello(String serverName, String... alpn) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        // SNIHostName rejects Istio's underscores (they are not LDH), so the name goes in as a plain host_name entry.
        parameters.setServerNames(List.of(new SNIServerName(StandardConstants.SNI_HOST_NAME,
                serverName.getBytes(StandardCharsets.US_ASCII)) { }));
        parameters.setApplicationProtocols(alpn);
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }
}
