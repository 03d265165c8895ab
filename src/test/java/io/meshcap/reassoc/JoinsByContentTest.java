package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.FIN;
import static io.meshcap.reassoc.Packets.PSH_ACK;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import io.meshcap.tls.KeyLog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Joins by content on hand-built legs whose requests are plaintext on both sides, as on a mesh whose upstream leg is
 * not encrypted (a PERMISSIVE peer, TLS disabled): request IDs, the fields a sidecar passes on unchanged, Envoy's
 * retries, requests that several calls could be, and the groups (pod address) calls are looked for in. Any key in
 * the key log makes the stitcher read requests. Every join, candidate and reason is written out from the requests.
 */
class JoinsByContentTest {

    private static final String POD = "198.18.0.2";
    private static final String OTHER_POD = "198.18.0.3";
    private static final FlowEndpoint UPSTREAM = ep("198.18.0.1", 8080);
    private static final List<CaptureInterface> INTERFACES = List.of(
            new CaptureInterface(LinkType.EN10MB, 0, "pod/lo", null),
            new CaptureInterface(LinkType.EN10MB, 0, "pod/eth0", null),
            new CaptureInterface(LinkType.EN10MB, 0, "other/lo", null),
            new CaptureInterface(LinkType.EN10MB, 0, "other/eth0", null));
    private static final int LO = 0;
    private static final int ETH0 = 1;
    private static final int OTHER_LO = 2;
    private static final int OTHER_ETH0 = 3;
    private static final KeyLog ANY_KEY = KeyLog.parse("test", ("CLIENT_RANDOM " + "ab".repeat(32) + " "
            + "cd".repeat(48) + "\n").getBytes(StandardCharsets.US_ASCII));

    /** One request as the client sent it, in one segment at {@code micros}. */
    private record Sent(long micros, String request) {
    }

    private static Sent get(long micros, String target, String... fields) {
        return new Sent(micros, "GET " + target + " HTTP/1.1\r\nhost: upstream.lab.svc.cluster.local\r\n"
                + String.join("", Arrays.stream(fields).map(field -> field + "\r\n").toList()) + "\r\n");
    }

    /** Records of several connections, fed to a stitcher with a key log in time order. */
    private static final class Capture {
        private final List<CaptureRecord> records = new ArrayList<>();

        /** The handshake at {@code startMicros}, the requests, FINs both ways at {@code endMicros}. */
        Capture connection(int iface, FlowEndpoint client, FlowEndpoint server, long startMicros, long endMicros,
                           Sent... requests) {
            add(iface, startMicros, ip(client, server, SYN, 100, 0));
            add(iface, startMicros + 1, ip(server, client, SYN | ACK, 500, 101));
            add(iface, startMicros + 2, ip(client, server, ACK, 101, 501));
            long seq = 101;
            for (Sent sent : requests) {
                byte[] payload = sent.request().getBytes(StandardCharsets.US_ASCII);
                add(iface, sent.micros(), ip(client, server, PSH_ACK, seq, 501, payload));
                seq += payload.length;
            }
            add(iface, endMicros, ip(client, server, FIN | ACK, seq, 501));
            return add(iface, endMicros + 1, ip(server, client, FIN | ACK, 501, seq + 1));
        }

        private Capture add(int iface, long micros, byte[] ipPacket) {
            byte[] frame = link(LinkType.EN10MB, ipPacket);
            if (iface == ETH0 || iface == OTHER_ETH0) {
                Arrays.fill(frame, 0, 12, (byte) 0x02);
            }
            records.add(Packets.record(iface, micros, frame));
            return this;
        }

        StreamTable table() {
            Stitcher stitcher = new Stitcher(RedirectPortsByInterface.everywhere(RedirectPorts.istioDefaults()),
                    ANY_KEY);
            records.stream().sorted(Comparator.comparingLong(CaptureRecord::timestampNanos))
                    .forEach(record -> stitcher.apply(INTERFACES.get(record.interfaceId()), record));
            return stitcher.table();
        }
    }

    @Test
    void theSameRequestIdJoinsRequestsWhoseOtherFieldsDiffer() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 30000), UPSTREAM, 0, 1000, get(10, "/reviews/1", "user-agent: app/1",
                        "x-request-id: id-1"))
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 20, 900, get(30, "/reviews/1", "user-agent: app/2",
                        "x-request-id: id-1", "x-forwarded-proto: http"))
                .table();
        assertEquals(List.of(new StreamTable.Join("outbound", 0, 1, "joined exactly (same request): GET /reviews/1"
                        + " (x-request-id id-1), request 1 of 1 on stream 0, request 1 of 1 on stream 1",
                        new StreamTable.Call(1, 1, "GET /reviews/1", "id-1"))), table.joins(), table::describe);
        assertEquals(List.of(), table.ambiguous());
    }

    @Test
    void aRequestWithoutAnIdIsJoinedByItsFieldsAndTakesTheIdTheSidecarAdded() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 30000), UPSTREAM, 0, 1000, get(10, "/reviews/1", "user-agent: app/1"))
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 20, 900, get(30, "/reviews/1", "user-agent: app/1",
                        "x-forwarded-proto: http", "x-request-id: sidecar-1"))
                .table();
        assertEquals(List.of(new StreamTable.Join("outbound", 0, 1, "joined exactly (same request): GET /reviews/1"
                        + " (x-request-id sidecar-1), request 1 of 1 on stream 0, request 1 of 1 on stream 1",
                        new StreamTable.Call(1, 1, "GET /reviews/1", "sidecar-1"))), table.joins(), table::describe);
    }

    @Test
    void aRequestTheUpstreamLegSendsInTheSameMicrosecondIsTheSameCall() {
        StreamTable table = new Capture()
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 0, 900, get(10, "/ratings", "x-request-id: id-2"))
                .connection(LO, ep(POD, 30000), UPSTREAM, 5, 1000, get(10, "/ratings", "x-request-id: id-2"))
                .table();
        assertEquals(List.of(new StreamTable.Join("outbound", 1, 0, "joined exactly (same request): GET /ratings"
                        + " (x-request-id id-2), request 1 of 1 on stream 1, request 1 of 1 on stream 0",
                        new StreamTable.Call(1, 1, "GET /ratings", "id-2"))), table.joins(), table::describe);
    }

    /** Envoy retries a call with the request's own ID: each attempt is joined to the app's one request. */
    @Test
    void retriesWithTheRequestsOwnIdAreEachJoinedAsAnAttempt() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 30000), UPSTREAM, 0, 1000, get(10, "/reviews/1", "x-request-id: id-3"))
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 20, 900, get(30, "/reviews/1", "x-request-id: id-3"),
                        get(60, "/reviews/1", "x-request-id: id-3"))
                .table();
        String common = "joined exactly (same request): GET /reviews/1 (x-request-id id-3), request 1 of 1 on stream 0,";
        assertEquals(List.of(
                new StreamTable.Join("outbound", 0, 1, common + " request 1 of 2 on stream 1, attempt 1 of 2",
                        new StreamTable.Call(1, 1, "GET /reviews/1", "id-3")),
                new StreamTable.Join("outbound", 0, 1, common + " request 2 of 2 on stream 1, attempt 2 of 2",
                        new StreamTable.Call(1, 2, "GET /reviews/1", "id-3"))), table.joins(), table::describe);
    }

    /** A retry and a request without any ID that has the same fields: two calls the request could be, not attempts. */
    @Test
    void aRequestMatchingOneRequestByIdAndAnotherByItsFieldsIsListedWithBoth() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 30000), UPSTREAM, 0, 1000, get(10, "/reviews/1", "x-request-id: id-4"))
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 20, 900, get(30, "/reviews/1", "x-request-id: id-4"))
                .connection(ETH0, ep(POD, 40001), UPSTREAM, 40, 900, get(50, "/reviews/1"))
                .table();
        String request = "the same request GET /reviews/1 (x-request-id id-4) (request 1 of 1 on stream 0, request 1 of 1"
                + " on stream ";
        assertEquals(List.of(new StreamTable.Ambiguity("outbound", 0, List.of(
                new StreamTable.Candidate(1, request + "1)"), new StreamTable.Candidate(2, request + "2)")))),
                table.ambiguous(), table::describe);
        assertEquals(List.of(), table.joins());
    }

    /** Two app connections send the same request without an ID at once; one upstream request could be either. */
    @Test
    void oneUpstreamRequestThatTwoAppRequestsCouldBeJoinsNeither() {
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 30000), UPSTREAM, 0, 1000, get(10, "/ratings"))
                .connection(LO, ep(POD, 30001), UPSTREAM, 2, 1000, get(12, "/ratings"))
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 20, 900, get(30, "/ratings"))
                .table();
        assertEquals(List.of(
                new StreamTable.Ambiguity("outbound", 0, List.of(new StreamTable.Candidate(2, "the same request GET"
                        + " /ratings (request 1 of 1 on stream 0, request 1 of 1 on stream 2); also the same as 1 other"
                        + " request"))),
                new StreamTable.Ambiguity("outbound", 1, List.of(new StreamTable.Candidate(2, "the same request GET"
                        + " /ratings (request 1 of 1 on stream 1, request 1 of 1 on stream 2); also the same as 1 other"
                        + " request")))), table.ambiguous(), table::describe);
    }

    /** The sidecar calling its own pod over lo: the call continues on its connection from 127.0.0.6 to the app. */
    @Test
    void aSelfCallIsJoinedToTheConnectionToTheAppByItsRequest() {
        FlowEndpoint app = ep(POD, 9080);
        StreamTable table = new Capture()
                .connection(LO, ep(POD, 40000), app, 0, 1000, get(10, "/health", "x-request-id: id-5"))
                .connection(LO, ep("127.0.0.6", 50000), app, 20, 900, get(30, "/health", "x-request-id: id-5"))
                .table();
        assertEquals(List.of("self-call", "inbound-plain"), table.streams().stream().map(StreamSummary::leg).toList());
        assertEquals(List.of(new StreamTable.Join("self-call", 0, 1, "joined exactly (same request): GET /health"
                        + " (x-request-id id-5), request 1 of 1 on stream 0, request 1 of 1 on stream 1",
                        new StreamTable.Call(1, 1, "GET /health", "id-5"))), table.joins(), table::describe);
    }

    /** Two pods making the same request at once: each pod's request continues on its own pod's connection. */
    @Test
    void theSameRequestFromTwoPodsIsJoinedWithinEachPod() {
        StreamTable outbound = new Capture()
                .connection(LO, ep(POD, 30000), UPSTREAM, 0, 1000, get(10, "/reviews/1"))
                .connection(OTHER_LO, ep(OTHER_POD, 30000), UPSTREAM, 1, 1000, get(11, "/reviews/1"))
                .connection(ETH0, ep(POD, 40000), UPSTREAM, 20, 900, get(30, "/reviews/1"))
                .connection(OTHER_ETH0, ep(OTHER_POD, 40000), UPSTREAM, 21, 900, get(31, "/reviews/1"))
                .table();
        assertEquals(List.of("0 > 2", "1 > 3"), outbound.joins().stream()
                .map(join -> join.from() + " > " + join.to()).toList(), outbound::describe);
        assertEquals(List.of(), outbound.ambiguous());

        FlowEndpoint client = ep("198.18.0.7", 50000);
        StreamTable inbound = new Capture()
                .connection(ETH0, client, ep(POD, 9080), 0, 1000, get(10, "/productpage"))
                .connection(OTHER_ETH0, ep("198.18.0.7", 50001), ep(OTHER_POD, 9080), 1, 1000, get(11, "/productpage"))
                .connection(LO, ep("127.0.0.6", 40000), ep(POD, 9080), 20, 900, get(30, "/productpage"))
                .connection(OTHER_LO, ep("127.0.0.6", 40001), ep(OTHER_POD, 9080), 21, 900, get(31, "/productpage"))
                .table();
        assertEquals(List.of("inbound 0 > 2", "inbound 1 > 3"), inbound.joins().stream()
                .map(join -> join.direction() + " " + join.from() + " > " + join.to()).toList(), inbound::describe);
        assertEquals(List.of(), inbound.ambiguous());
    }
}
