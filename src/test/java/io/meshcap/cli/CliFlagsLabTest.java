package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshcap.lab.Endpoint;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.testing.ChildMeshcap;
import io.meshcap.testing.Tshark;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capture flags and {@code ports} on the lab pod, each judged by what tshark reads in the files and by the lab's
 * ledger of the calls it made: {@code --keep-legs}, {@code --ring}, {@code --snaplen}, {@code --filters},
 * {@code --count} over several legs, the gateway's upstream side, {@code ports --netns}.
 */
class CliFlagsLabTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    private static final Pattern KEPT_LEGS = Pattern.compile("the legs' own files are in (\\S+)");

    @TempDir
    Path dir;

    /** The CLI running on a thread of its own; started once every leg listens. */
    private record Background(Thread thread, CliRun[] result) {
        CliRun await() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(90));
            assertFalse(thread.isAlive(), "the capture did not end");
            return result[0];
        }
    }

    private static Background capture(String... args) throws InterruptedException {
        List<String> all = new ArrayList<>(List.of("capture"));
        all.addAll(List.of(args));
        all.addAll(List.of("--netns", LAB.topology().podNamespace()));
        CliRun[] result = new CliRun[1];
        StringWriter err = new StringWriter();
        Thread thread = new Thread(() -> result[0] = CliRun.of(err, all.toArray(String[]::new)));
        thread.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!err.toString().contains("meshcap: capturing") && thread.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(err.toString().contains("meshcap: capturing"), "the capture did not start: " + err);
        return new Background(thread, result);
    }

    private static String tuple(Endpoint from, Endpoint to) {
        return from.address() + ":" + from.port() + ">" + to.address() + ":" + to.port();
    }

    /** Packets per leg: an interface and its re-associated one together. */
    private static Map<String, Long> packetsPerLeg(Path file) {
        Map<String, Long> counts = new TreeMap<>();
        Tshark.fields(file, null, "frame.interface_name").forEach(row -> counts.merge(Tshark.leg(row.get(0)), 1L,
                Long::sum));
        return counts;
    }

    @Test
    void keepLegsKeepsEachLegsOwnPcapBesideTheMergedFile() throws Exception {
        Path out = dir.resolve("kept.pcapng");
        Background capture = capture("sidecar", "--keep-legs", "--duration", "4s", "-o", out.toString());
        Ledger ledger = LAB.traffic(1, 2);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());

        Matcher kept = KEPT_LEGS.matcher(run.err());
        assertTrue(kept.find(), run.err());
        List<Path> legs;
        try (Stream<Path> files = Files.list(Path.of(kept.group(1)))) {
            legs = files.filter(f -> f.getFileName().toString().endsWith(".pcap")).sorted().toList();
        }
        assertEquals(4, legs.size(), "one pcap per leg: " + legs);
        List<Long> legCounts = new ArrayList<>();
        for (Path leg : legs) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(leg)), leg.toString());
            legCounts.add((long) Tshark.count(leg));
        }
        List<Long> merged = new ArrayList<>(packetsPerLeg(out).values());
        legCounts.sort(null);
        merged.sort(null);
        assertEquals(merged, legCounts, "each kept leg holds what that leg contributed to the merged file");
        // The kept lo leg is as tcpdump wrote it: the app's requests still go to the sidecar's 127.0.0.1:15001.
        Set<String> raw = new HashSet<>();
        for (Path leg : legs) {
            Tshark.fields(leg, "tcp", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport")
                    .forEach(r -> raw.add(r.get(0) + ":" + r.get(1) + ">" + r.get(2) + ":" + r.get(3)));
        }
        for (LedgerEntry call : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            assertTrue(raw.contains(tuple(call.client(), new Endpoint("127.0.0.1", 15001))), call + " in " + raw);
        }
    }

    @Test
    void aRingKeepsCapturingPastMaxSizeAndKeepsTheNewestCalls() throws Exception {
        Path out = dir.resolve("ring.pcapng");
        // An inbound call is 2-7 KB on lo: fifty of them are about twice what a ring of two 64 KiB files keeps.
        ChildMeshcap meshcap = ChildMeshcap.start(dir, List.of("capture", "inbound-plain",
                "--netns", LAB.topology().podNamespace(), "--max-size", "64K", "--ring", "2", "-o", out.toString()));
        try {
            meshcap.awaitErr("meshcap: capturing", Duration.ofSeconds(60));
            Ledger ledger = LAB.traffic(50, 0);
            assertTrue(meshcap.isAlive(), "the leg went on past --max-size: " + meshcap.err());
            meshcap.signal("INT");
            meshcap.await(Duration.ofSeconds(60));
            assertTrue(meshcap.err().contains("meshcap: wrote " + out), meshcap.err());

            Set<String> seen = Tshark.tcpDirectionsPerLeg(out).values().stream().flatMap(Set::stream)
                    .collect(java.util.stream.Collectors.toSet());
            List<LedgerEntry> calls = ledger.of(LedgerEntry.Kind.INBOUND);
            LedgerEntry first = calls.get(0);
            LedgerEntry last = calls.get(calls.size() - 1);
            assertTrue(seen.contains(tuple(last.serverPeer(), last.destination())), "the newest call is kept: " + seen);
            assertFalse(seen.contains(tuple(first.serverPeer(), first.destination())),
                    "the oldest call went round the ring: " + seen);
            assertTrue(Files.size(out) < 3 * 64 * 1024, "two files of 64 KiB and the pcapng around them: "
                    + Files.size(out));
        } finally {
            meshcap.stop(true);
        }
    }

    @Test
    void snaplenCutsEveryPacketToThatManyBytes() throws Exception {
        Path out = dir.resolve("snap.pcapng");
        Background capture = capture("inbound-mtls", "--snaplen", "60", "--count", "8", "-o", out.toString());
        LAB.traffic(2, 0);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());

        List<List<String>> frames = Tshark.fields(out, null, "frame.cap_len", "frame.len");
        assertEquals(8, frames.size());
        for (List<String> frame : frames) {
            // Ethernet, IPv4 and TCP with its options are 66 bytes at least, so every packet is cut (libpcap keeps
            // up to the snapshot length; on this link it keeps 58 of 60).
            assertTrue(Integer.parseInt(frame.get(0)) <= 60, frames.toString());
            assertTrue(Integer.parseInt(frame.get(1)) > Integer.parseInt(frame.get(0)), frames.toString());
        }
        assertTrue(Tshark.run(List.of("capinfos", out.toString())).contains("Capture length = 60"),
                "the leg's interface says so");
    }

    @Test
    void filtersReadsPresetsFromTheGivenDirectory() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode presets = (ObjectNode) json.readTree(Path.of("filters/presets.json").toFile());
        ObjectNode requests = ((ArrayNode) presets.get("presets")).addObject();
        requests.put("name", "inbound-requests");
        requests.put("role", "sidecar");
        requests.put("interface", "eth0");
        requests.put("template", "dst host ${podIp} and dst port ${appPorts}");
        requests.put("summary", "Only the client's packets of inbound calls.");
        requests.put("capturePointDetail", "As inbound-mtls.");
        requests.put("shows", "What clients send.");
        requests.put("doesNotShow", "The pod's replies.");
        requests.put("reassociate", false);
        Path filters = Files.createDirectory(dir.resolve("filters"));
        json.writeValue(filters.resolve("presets.json").toFile(), presets);
        Path out = dir.resolve("requests.pcapng");

        assertEquals(2, CliRun.of("capture", "inbound-requests", "--netns", LAB.topology().podNamespace(), "--print-plan")
                .exitCode(), "not a bundled preset");
        Background capture = capture("inbound-requests", "--filters", filters.toString(), "--count", "6",
                "-o", out.toString());
        LAB.traffic(2, 0);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());

        List<List<String>> packets = Tshark.fields(out, null, "frame.interface_name", "ip.dst", "tcp.dstport");
        assertEquals(6, packets.size());
        for (List<String> packet : packets) {
            assertEquals(LAB.topology().podNamespace() + "/eth0:inbound-requests", packet.get(0));
            assertEquals(LabTopology.POD_IPV4, packet.get(1), "only what is sent to the pod: " + packets);
            assertTrue(LAB.topology().appPorts().contains(Integer.parseInt(packet.get(2))), packets.toString());
        }
    }

    @Test
    void countStopsEveryLegOfAGroupAndTheCaptureEndsByItself() throws Exception {
        Path out = dir.resolve("count.pcapng");
        Background capture = capture("sidecar", "--count", "3", "-o", out.toString());
        LAB.traffic(2, 2);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());

        String pod = LAB.topology().podNamespace();
        assertEquals(Map.of(pod + "/eth0:inbound-mtls", 3L, pod + "/lo:inbound-plain", 3L, pod + "/lo:outbound-plain", 3L,
                pod + "/eth0:outbound-mtls", 3L), packetsPerLeg(out));
    }

    @Test
    void gatewayUpstreamCapturesEveryCallInsideTheClusterCidr() throws Exception {
        // The pod (.2) and the mesh (.1) are both inside 198.18.0.0/24: every eth0 connection is upstream.
        Path out = dir.resolve("upstream.pcapng");
        Background capture = capture("gateway", "--side", "upstream", "--cluster-cidr", "198.18.0.0/24",
                "--duration", "4s", "-o", out.toString());
        Ledger ledger = LAB.traffic(2, 2);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());

        Set<String> expected = new HashSet<>();
        for (LedgerEntry call : ledger.connections()) {
            Endpoint wireClient = call.kind() == LedgerEntry.Kind.INBOUND ? call.client() : call.serverPeer();
            expected.add(tuple(wireClient, call.destination()));
            expected.add(tuple(call.destination(), wireClient));
        }
        assertEquals(Map.of(LAB.topology().podNamespace() + "/eth0:gateway-upstream", expected), Tshark.tcpDirectionsPerLeg(out));
    }

    @Test
    void portsListsTheNamespacesListenersWithTheirIstioRoles() throws Exception {
        CliRun run = CliRun.of("ports", "--netns", LAB.topology().podNamespace(), "--json");
        assertEquals(0, run.exitCode(), run.toString());

        Map<Integer, String> roles = new HashMap<>();
        for (JsonNode socket : new ObjectMapper().readTree(run.out())) {
            roles.put(socket.get("port").asInt(), socket.get("component").isNull() ? "application"
                    : socket.get("component").asText() + ": " + socket.get("role").asText());
        }
        assertEquals("application", roles.get(8080), roles.toString());
        assertEquals("application", roles.get(9080), roles.toString());
        assertEquals("sidecar: outbound capture (iptables REDIRECT target)", roles.get(15001), roles.toString());
        assertTrue(roles.get(15006).startsWith("sidecar: inbound capture"), roles.toString());

        CliRun table = CliRun.of("ports", "--netns", LAB.topology().podNamespace());
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.out().startsWith("Listening sockets in "), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.contains(" 8080 ") && l.contains("not an Istio port")), table.out());
    }
}
