package io.meshcap.reassoc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.cli.CliRun;
import io.meshcap.testing.HttpMessage;
import io.meshcap.testing.Tshark;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joins by content on a real capture of the four legs with mTLS (see {@link OpensslMesh}): with the pod's key log
 * every call is joined to its own request, a pooled upstream split call by call; without it the same capture gives
 * the timing rule's joins and ambiguities. The fixture's ledger (request IDs the upstream and the app saw, the app
 * connections' ports) and tshark's decryption of the eth0 capture are the judges.
 */
class ExactJoinsTest {

    private static final List<String> APP_HEADERS = List.of("Host: upstream.lab.svc.cluster.local:9080",
            "User-Agent: lab-app/1.0", "Accept: */*");
    private static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS")
            .withZone(ZoneOffset.UTC);
    private static final HttpMessage REVIEW = HttpMessage.request("GET /reviews/1 HTTP/1.1", APP_HEADERS, "");

    @TempDir
    static Path dir;

    private static OpensslMesh mesh;
    private static List<OpensslMesh.Call> early;
    private static List<OpensslMesh.Call> calls;
    private static Path merged;

    @BeforeAll
    static void recordTheFourLegs() throws Exception {
        mesh = OpensslMesh.start(dir);
        // A client connection from before the pod's sidecar logged keys.
        mesh.inbound(List.of(HttpMessage.request("GET /health HTTP/1.1", List.of("Host: app"), "")), false);
        early = mesh.calls();
        // Four app connections, every call over one pooled upstream: the same request twice at different times,
        // two calls on one keep-alive connection, and a request ID the app propagates itself.
        mesh.outbound(List.of(REVIEW));
        mesh.outbound(List.of(REVIEW));
        mesh.outbound(List.of(HttpMessage.request("POST /ratings HTTP/1.1", APP_HEADERS, "stars=5"),
                HttpMessage.request("GET /reviews/2 HTTP/1.1", APP_HEADERS, "")));
        List<String> propagating = new ArrayList<>(APP_HEADERS);
        propagating.add("x-request-id: app-propagated-1");
        mesh.outbound(List.of(HttpMessage.request("GET /reviews/1 HTTP/1.1", propagating, "")));
        // One client connection carrying three calls, each forwarded to the app on a connection of its own.
        mesh.inbound(List.of(HttpMessage.request("GET /productpage HTTP/1.1", List.of("Host: app"), ""),
                HttpMessage.request("GET /productpage HTTP/1.1", List.of("Host: app"), ""),
                HttpMessage.request("POST /login HTTP/1.1", List.of("Host: app"), "user=lab")), true);
        mesh.finish();
        calls = mesh.calls().subList(early.size(), mesh.calls().size());

        merged = dir.resolve("pod.pcapng");
        CliRun merge = CliRun.of("merge", "--name", "pod/lo=" + mesh.loCapture(), "--name",
                "pod/eth0=" + mesh.eth0Capture(), mesh.loCapture().toString(), mesh.eth0Capture().toString(), "-o",
                merged.toString());
        assertEquals(0, merge.exitCode(), merge::toString);
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    @Test
    void everyCallIsJoinedExactlyToItsOwnRequest() throws Exception {
        StreamTable withKeys = withKeys();
        String text = streamsText();
        for (OpensslMesh.Call call : calls) {
            StreamTable.Join join = withKeys.joins().stream()
                    .filter(j -> j.call() != null && call.requestId().equals(j.call().requestId()))
                    .findFirst().orElseThrow(() -> new AssertionError(call + "\n" + text));
            assertEquals(call.direction(), join.direction(), text);
            assertEquals(call.request(), join.call().request());
            StreamSummary plain = withKeys.streams().get(call.direction().equals("outbound") ? join.from() : join.to());
            assertEquals(call.plainLeg(), plain.client(), text);
            assertTrue(join.reason().startsWith("joined exactly (same request): " + call.request()), join.reason());
        }
        assertEquals(calls.size(), withKeys.joins().stream().filter(j -> j.call() != null).count(), text);
        assertTrue(withKeys.ambiguous().isEmpty(), text);
    }

    @Test
    void thePooledUpstreamIsSplitCallByCallInOrder() throws Exception {
        StreamTable withKeys = withKeys();
        String text = streamsText();
        List<StreamTable.Join> outbound = withKeys.joins().stream()
                .filter(j -> j.direction().equals("outbound")).toList();
        assertEquals(1, outbound.stream().map(StreamTable.Join::to).distinct().count(), text);
        assertEquals(List.of(1, 2, 3, 4, 5), outbound.stream().map(j -> j.call().toRequest()).sorted().toList());
        assertEquals(4, outbound.stream().map(StreamTable.Join::from).distinct().count(), text);
        assertTrue(text.contains("request 5 of 5 on stream " + outbound.get(0).to()), text);
    }

    @Test
    void theJoinedRequestsAreTheOnesWiresharkDecryptsOnEth0() throws Exception {
        StreamTable withKeys = withKeys();
        // tshark takes 8080 for plain HTTP; it is TLS here, as on any mesh port. 9080 is told too, rather than left
        // to tshark's TLS heuristic, and segments that arrive out of order on a loaded machine are put back in order.
        Set<String> decrypted = new HashSet<>();
        for (String line : Tshark.run("tshark", "-n", "-r", mesh.eth0Capture().toString(), "-o",
                "tls.keylog_file:" + mesh.podKeys(), "-o", "tcp.reassemble_out_of_order:TRUE",
                "-d", "tcp.port==" + OpensslMesh.APP_PORT + ",tls", "-d", "tcp.port==" + OpensslMesh.UPSTREAM_PORT + ",tls",
                "-Y", "http.request", "-T", "fields", "-E", "separator=/t", "-e", "http.request.method", "-e",
                "http.request.uri", "-e", "http.request.line").lines().toList()) {
            String[] fields = line.split("\t");
            String requestId = List.of(fields[2].split(",")).stream()
                    .filter(header -> header.toLowerCase().startsWith("x-request-id:"))
                    .map(header -> header.substring(header.indexOf(':') + 1).replace("\\r\\n", "").strip())
                    .findFirst().orElseThrow();
            decrypted.add(fields[0] + " " + fields[1] + " " + requestId);
        }
        Set<String> joined = withKeys.joins().stream().filter(j -> j.call() != null)
                .map(j -> j.call().request() + " " + j.call().requestId()).collect(Collectors.toSet());
        assertEquals(decrypted, joined);
        assertEquals(calls.size(), joined.size());
    }

    @Test
    void aConnectionOpenedBeforeKeyLoggingSaysSoAndStillJoinsByTiming() throws Exception {
        StreamTable withKeys = withKeys();
        String text = streamsText();
        StreamSummary before = withKeys.streams().stream().filter(s -> s.leg().equals("inbound-mtls"))
                .findFirst().orElseThrow();
        assertEquals("no key", before.decryption().status(), text);
        // Each connection's first SYN as tshark sees them on eth0 (a retransmitted SYN is left out): the early client
        // connection's, then the pooled upstream's, the first with a key.
        Map<String, String> firstSyn = new LinkedHashMap<>();
        for (List<String> row : Tshark.fields(mesh.eth0Capture(), "tcp.flags.syn==1 && tcp.flags.ack==0", "tcp.stream",
                "frame.time_epoch")) {
            firstSyn.putIfAbsent(row.get(0), TIME_OF_DAY.format(epoch(row.get(1))));
        }
        List<String> synTimes = List.copyOf(firstSyn.values());
        StreamSummary firstKeyed = withKeys.streams().stream().filter(s -> s.leg().equals("outbound-mtls"))
                .findFirst().orElseThrow();
        assertEquals("opened before key logging started: the first connection on pod/eth0 with a key (stream "
                + firstKeyed.stream() + ") opened at " + synTimes.get(1) + ", this one at " + synTimes.get(0),
                before.decryption().detail(), text);
        StreamTable.Join timing = withKeys.joins().stream().filter(j -> j.from() == before.stream())
                .findFirst().orElseThrow(() -> new AssertionError(text));
        assertNull(timing.call());
        assertEquals(early.get(0).plainLeg(), withKeys.streams().get(timing.to()).client());
        assertEquals(2, withKeys.streams().stream().filter(s -> s.decryption() != null
                && s.decryption().status().equals("decrypted")).count(), text);
        assertTrue(text.contains("decryption: 2 of 3 TLS connections decrypted; " + calls.size() + " of "
                + (calls.size() + 1) + " joins exact (same request)"), text);
    }

    @Test
    void withoutKeysTheSameCaptureJoinsByTimingOnly() throws Exception {
        StreamTable withoutKeys = table();
        assertTrue(withoutKeys.joins().stream().allMatch(j -> j.call() == null), withoutKeys::describe);
        assertTrue(withoutKeys.streams().stream().filter(s -> s.tls() != null)
                .allMatch(s -> s.decryption().status().equals("no key log")), withoutKeys::describe);
        assertTrue(withoutKeys.streams().stream().allMatch(s -> s.requests() == null), "requests are not read");
        // The pooled upstream overlaps all four app connections; the client connection overlaps its three.
        assertEquals(5, withoutKeys.ambiguous().size(), withoutKeys::describe);
        assertNotNull(withoutKeys.ambiguous().stream().filter(a -> a.direction().equals("inbound")
                && a.candidates().size() == 3).findFirst().orElse(null), withoutKeys::describe);
    }

    @Test
    void aKeyLogInsideTheFileDecryptsWithoutOptionsAndMergeCommentsTheExactJoins() throws Exception {
        StreamTable withKeys = withKeys();
        Path withSecrets = dir.resolve("with-secrets.pcapng");
        Tshark.run("editcap", "--inject-secrets", "tls," + mesh.podKeys(), merged.toString(), withSecrets.toString());

        assertEquals(withKeys.joins(), table(withSecrets).joins());

        Path commented = dir.resolve("commented.pcapng");
        CliRun merge = CliRun.of("merge", "--reassociate", withSecrets.toString(), "-o", commented.toString());
        assertEquals(0, merge.exitCode(), merge::toString);
        assertExactJoinComments(commented);
    }

    @Test
    void mergeWithTheKeyLogCommentsTheExactJoins() {
        Path commented = dir.resolve("merged-with-keys.pcapng");
        CliRun merge = CliRun.of("merge", "--reassociate", "--tls-keylog", mesh.podKeys().toString(), "--name",
                "pod/lo=" + mesh.loCapture(), "--name", "pod/eth0=" + mesh.eth0Capture(), mesh.loCapture().toString(),
                mesh.eth0Capture().toString(), "-o", commented.toString());
        assertEquals(0, merge.exitCode(), merge::toString);
        assertTrue(merge.err().contains(calls.size() + 1 + " calls joined across legs"), merge::toString);
        assertExactJoinComments(commented);
    }

    private static void assertExactJoinComments(Path commented) {
        List<String> comments = Tshark.fields(commented, "frame.comment contains \"joined exactly\"",
                "frame.comment").stream().map(row -> row.get(0)).toList();
        // The pooled upstream's first packet and the four app connections' for outbound, the client connection's
        // and its three connections to the app for inbound.
        assertEquals(9, comments.size(), comments::toString);
        // One note per pair of connections, however many calls they share (the keep-alive app connection: two).
        assertTrue(comments.stream().anyMatch(c -> c.contains("2 requests, each the same on both")), comments::toString);
    }

    /**
     * The streams table with the pod's key log. Each test makes its own rather than sharing one made in
     * {@code @BeforeAll}: mutation testing runs a test for a mutant only if the test itself ran the mutated line.
     */
    private static StreamTable withKeys() throws Exception {
        return table("--tls-keylog", mesh.podKeys().toString());
    }

    /** What {@code meshcap streams} prints for the merged capture with the pod's key log. */
    private static String streamsText() {
        CliRun run = CliRun.of("streams", "--tls-keylog", mesh.podKeys().toString(), merged.toString());
        assertEquals(0, run.exitCode(), run::toString);
        return run.out();
    }

    private static Instant epoch(String seconds) {
        BigDecimal value = new BigDecimal(seconds);
        return Instant.ofEpochSecond(value.longValue(), value.remainder(BigDecimal.ONE).movePointRight(9).longValue());
    }

    private static StreamTable table(String... options) throws Exception {
        return table(merged, options);
    }

    private static StreamTable table(Path file, String... options) throws Exception {
        List<String> argv = new ArrayList<>(List.of("streams", "--json"));
        argv.addAll(List.of(options));
        argv.add(file.toString());
        CliRun run = CliRun.of(argv.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        return new ObjectMapper().readValue(run.out(), StreamTable.class);
    }
}
