package io.meshcap.reassoc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.cli.CliRun;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.lab.Recording;
import io.meshcap.testing.Tshark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshcap streams} on a merged lab capture of the pod's lo and eth0: legs and joins against the ledger. */
class StreamsLabTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withIpv6(true));

    @TempDir
    static Path dir;

    private static Ledger ledger;
    private static Path lo;
    private static Path merged;
    private static StreamTable table;
    private static CliRun mergeRun;
    private static CliRun streamsRun;

    @BeforeAll
    static void recordMergeAndList() throws Exception {
        String pod = LAB.topology().podNamespace();
        try (Recording loRecording = LAB.record(pod, "lo", dir.resolve("lo.pcap"));
                Recording eth0Recording = LAB.record(pod, LabTopology.POD_INTERFACE, dir.resolve("eth0.pcap"))) {
            ledger = LAB.traffic(2, 3);
            loRecording.stop();
            eth0Recording.stop();
            lo = loRecording.file();
            merged = dir.resolve("pod.pcapng");
            mergeRun = CliRun.of("merge", "--reassociate", "--name", "pod/lo=" + lo, "--name",
                    "pod/eth0=" + eth0Recording.file(), lo.toString(), eth0Recording.file().toString(), "-o",
                    merged.toString());
            assertEquals(0, mergeRun.exitCode(), mergeRun::toString);
        }
        streamsRun = CliRun.of("streams", "--json", merged.toString());
        assertEquals(0, streamsRun.exitCode(), streamsRun::toString);
        table = new ObjectMapper().readValue(streamsRun.out(), StreamTable.class);
    }

    /** The lab's mTLS goes to 8080 and 9080; Wireshark dissects 8080 as HTTP and so needs telling it is TLS. */
    @Test
    void mergeAndStreamsNameThePortWiresharkDoesNotReadAsTls() {
        long to8080 = ledger.connections().stream().filter(c -> c.appPort() == 8080).count();
        String note = "meshcap: note: Wireshark dissects port 8080 as http, not TLS: to read its " + to8080
                + " TLS connections, decode the port as TLS: tshark -d tcp.port==8080,tls";
        for (CliRun run : List.of(mergeRun, streamsRun)) {
            assertTrue(run.err().contains(note), run::toString);
            assertFalse(run.err().contains("port 9080 as"), run::toString);
        }
    }

    @Test
    void everyConnectionIsListedOncePerLeg() {
        assertEquals(2 * ledger.connections().size(), table.streams().size(), table::describe);
        for (LedgerEntry entry : ledger.connections()) {
            boolean outbound = entry.kind() == LedgerEntry.Kind.OUTBOUND;
            stream(outbound ? "outbound-plain" : "inbound-mtls", entry.client().toString(),
                    entry.destination().toString());
            stream(outbound ? "outbound-mtls" : "inbound-plain", entry.serverPeer().toString(),
                    outbound ? entry.destination().toString() : entry.serverLocal().toString());
        }
    }

    @Test
    void theLegsOfEveryCallAreJoinedAsTheLedgerSays() {
        for (LedgerEntry entry : ledger.connections()) {
            StreamTable.Join expected = expectedJoin(table, entry);
            assertTrue(table.joins().stream().anyMatch(j -> j.direction().equals(expected.direction())
                    && j.from() == expected.from() && j.to() == expected.to()), () -> expected + "\n" + table.describe());
        }
        assertEquals(ledger.connections().size(), table.joins().size());
        assertTrue(table.ambiguous().isEmpty(), table::describe);
    }

    /**
     * Calls made from several threads at once overlap, which the timing rule cannot always tell apart. With the lab's
     * key log in the file (as Envoy's key_log gives it in a cluster) every call's legs are joined by the request both
     * carried, and the request ID the join names is the one the ledger recorded for that call; the same file with
     * its keys stripped decrypts nothing and joins nothing by content.
     */
    @Test
    void withTheKeyLogOverlappingCallsAreEachJoinedExactlyToTheirOwnRequest(@TempDir Path tmp) throws Exception {
        String pod = LAB.topology().podNamespace();
        Path withKeys = tmp.resolve("keys.pcapng");
        List<LedgerEntry> calls = new ArrayList<>();
        try (Recording loRecording = LAB.record(pod, "lo", tmp.resolve("lo.pcap"));
                Recording eth0Recording = LAB.record(pod, LabTopology.POD_INTERFACE, tmp.resolve("eth0.pcap"))) {
            ExecutorService callers = Executors.newFixedThreadPool(3);
            try {
                List<Future<Ledger>> runs = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    runs.add(callers.submit(() -> LAB.traffic(1, 2)));
                }
                for (Future<Ledger> run : runs) {
                    calls.addAll(run.get().connections());
                }
            } finally {
                callers.shutdown();
            }
            loRecording.stop();
            eth0Recording.stop();
            CliRun merge = CliRun.of("merge", "--tls-keylog", LAB.lab().keyLog().toString(), "--name",
                    "pod/lo=" + loRecording.file(), "--name", "pod/eth0=" + eth0Recording.file(),
                    loRecording.file().toString(), eth0Recording.file().toString(), "-o", withKeys.toString());
            assertEquals(0, merge.exitCode(), merge::toString);
        }
        StreamTable exact = streamTable(withKeys);
        assertEquals(calls.size(), exact.joins().size(), exact::describe);
        assertTrue(exact.ambiguous().isEmpty(), exact::describe);
        for (LedgerEntry entry : calls) {
            StreamTable.Join expected = expectedJoin(exact, entry);
            StreamTable.Join join = exact.joins().stream()
                    .filter(j -> j.from() == expected.from() && j.to() == expected.to()).findFirst()
                    .orElseThrow(() -> new AssertionError(expected + "\n" + exact.describe()));
            assertTrue(join.reason().startsWith("joined exactly (same request): POST /lab/call/" + entry.id()),
                    join::reason);
            assertNotNull(join.call(), join::toString);
            assertEquals(entry.requestId(), join.call().requestId(), join::toString);
        }

        Path stripped = tmp.resolve("stripped.pcapng");
        CliRun strip = CliRun.of("merge", "--strip-secrets", withKeys.toString(), "-o", stripped.toString());
        assertEquals(0, strip.exitCode(), strip::toString);
        StreamTable timing = streamTable(stripped);
        assertTrue(timing.joins().stream().noneMatch(j -> j.call() != null), timing::describe);
        assertEquals(List.of("no key log"), timing.streams().stream().filter(s -> s.decryption() != null)
                .map(s -> s.decryption().status()).distinct().toList(), timing::describe);
    }

    @Test
    void theMergedFileCarriesTheJoinOnEveryConnectionsFirstPacketNumberedLikeWireshark() {
        List<List<String>> firsts = Tshark.fields(merged, "frame.comment contains \"meshcap stream \"",
                "frame.number", "tcp.stream", "frame.comment");
        assertEquals(table.streams().size(), firsts.size());
        for (List<String> row : firsts) {
            StreamSummary stream = table.streams().get(Integer.parseInt(row.get(1)));
            assertEquals(stream.firstFrame(), Long.parseLong(row.get(0)), "tshark's tcp.stream is our stream id");
            // The lab's eth0 legs are Istio mTLS: their comment says so between the connection and its join.
            String port = stream.server().substring(stream.server().lastIndexOf(':') + 1);
            String tls = stream.leg().endsWith("-mtls") ? "; Istio mTLS (SNI outbound_." + port + "_._."
                    : "; joined with stream ";
            assertTrue(row.get(2).contains("meshcap stream " + stream.stream() + ": " + stream.describe() + tls),
                    row.get(2));
            assertTrue(row.get(2).contains("; joined with stream "), row.get(2));
        }
    }

    @Test
    void aRawLoCaptureIsReassociatedOnTheFly() {
        CliRun run = CliRun.of("streams", lo.toString());
        assertEquals(0, run.exitCode(), run::toString);
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            assertTrue(run.out().lines().anyMatch(line -> line.contains("outbound-plain")
                    && line.contains(entry.client().toString()) && line.contains(entry.destination().toString())),
                    run.out());
        }
        assertTrue(run.out().lines().noneMatch(line -> line.contains(":15001")), run.out());
    }

    @Test
    void twoOverlappingCallsToOnePortAreListedAsCandidatesNotGuessed(@TempDir Path tmp) throws Exception {
        String pod = LAB.topology().podNamespace();
        Path pair = tmp.resolve("pair.pcapng");
        try (Recording loRecording = LAB.record(pod, "lo", tmp.resolve("lo.pcap"));
                Recording eth0Recording = LAB.record(pod, LabTopology.POD_INTERFACE, tmp.resolve("eth0.pcap"))) {
            // Two connections of the app (root, so Istio's rules redirect them) open at once to one upstream port.
            String upstream = "/dev/tcp/" + LabTopology.MESH_IPV4 + "/" + LAB.topology().appPorts().get(0);
            Process calls = new ProcessBuilder("ip", "netns", "exec", pod, "bash", "-c",
                    "exec 3<>" + upstream + " && exec 4<>" + upstream + " && echo one >&3 && echo two >&4 && sleep 0.3")
                    .inheritIO().start();
            assertEquals(0, calls.waitFor());
            loRecording.stop();
            eth0Recording.stop();
            CliRun merge = CliRun.of("merge", "--reassociate", "--name", "pod/lo=" + loRecording.file(), "--name",
                    "pod/eth0=" + eth0Recording.file(), loRecording.file().toString(),
                    eth0Recording.file().toString(), "-o", pair.toString());
            assertEquals(0, merge.exitCode(), merge::toString);
        }
        CliRun streams = CliRun.of("streams", "--json", pair.toString());
        StreamTable pairTable = new ObjectMapper().readValue(streams.out(), StreamTable.class);
        List<StreamSummary> apps = pairTable.streams().stream().filter(s -> s.leg().equals("outbound-plain")).toList();
        assertEquals(2, apps.size(), pairTable::describe);
        assertTrue(pairTable.joins().stream().noneMatch(j -> j.direction().equals("outbound")), pairTable::describe);
        for (StreamSummary app : apps) {
            StreamTable.Ambiguity ambiguity = pairTable.ambiguous().stream().filter(a -> a.from() == app.stream())
                    .findFirst().orElseThrow(() -> new AssertionError(pairTable.describe()));
            assertEquals(2, ambiguity.candidates().size(), pairTable::describe);
        }
        String comments = String.join("\n", Tshark.fields(pair, "frame.comment contains \"not joined\"",
                "frame.comment").stream().map(row -> row.get(0)).toList());
        assertTrue(comments.contains("not joined, candidates: stream "), comments);
    }

    private static StreamTable streamTable(Path file) throws Exception {
        CliRun streams = CliRun.of("streams", "--json", file.toString());
        assertEquals(0, streams.exitCode(), streams::toString);
        return new ObjectMapper().readValue(streams.out(), StreamTable.class);
    }

    /** The join of a call's two legs in {@code in}, as the ledger's socket addresses say they are. */
    private static StreamTable.Join expectedJoin(StreamTable in, LedgerEntry entry) {
        return entry.kind() == LedgerEntry.Kind.OUTBOUND
                ? join("outbound", stream(in, "outbound-plain", entry.client().toString(), entry.destination().toString()),
                        stream(in, "outbound-mtls", entry.serverPeer().toString(), entry.destination().toString()))
                : join("inbound", stream(in, "inbound-mtls", entry.client().toString(), entry.destination().toString()),
                        stream(in, "inbound-plain", entry.serverPeer().toString(), entry.serverLocal().toString()));
    }

    private static int stream(String leg, String client, String server) {
        return stream(table, leg, client, server);
    }

    private static int stream(StreamTable in, String leg, String client, String server) {
        List<StreamSummary> found = in.streams().stream()
                .filter(s -> s.leg().equals(leg) && s.client().equals(client) && s.server().equals(server)).toList();
        assertEquals(1, found.size(), () -> leg + " " + client + " > " + server + "\n" + in.describe());
        return found.get(0).stream();
    }

    private static StreamTable.Join join(String direction, int from, int to) {
        return new StreamTable.Join(direction, from, to, "");
    }
}
