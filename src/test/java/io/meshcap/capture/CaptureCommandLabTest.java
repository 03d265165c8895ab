package io.meshcap.capture;

import io.meshcap.istio.IstioDefaults;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
import io.meshcap.lab.Endpoint;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.ChildMeshcap;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code meshcap capture} against the lab pod: real tcpdump legs, spooled, merged into one pcapng. */
class CaptureCommandLabTest {

    private static final int CONNECTIONS = 4;

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    @TempDir
    Path dir;

    /** Runs the CLI in-process on a thread; returns once every leg is listening. */
    private record Background(Thread thread, CliRun[] result) {
        CliRun await() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            return result[0];
        }
    }

    private static Background captureInBackground(String... args) throws InterruptedException {
        CliRun[] result = new CliRun[1];
        java.io.StringWriter err = new java.io.StringWriter();
        Thread thread = new Thread(() -> result[0] = CliRun.of(err, args));
        thread.start();
        for (int i = 0; i < 200 && !err.toString().contains("meshcap: capturing"); i++) {
            Thread.sleep(50);
        }
        assertTrue(err.toString().contains("meshcap: capturing"), "capture did not start: " + err);
        return new Background(thread, result);
    }

    private static String tuple(Endpoint from, Endpoint to) {
        return from.address() + ":" + from.port() + ">" + to.address() + ":" + to.port();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcpdump", "pcap4j"})
    void sidecarCapturesEachLegOnItsOwnLabelledInterfaceExactly(String engine) throws Exception {
        Path out = dir.resolve("sidecar.pcapng");
        Background capture = captureInBackground("capture", "sidecar", "--netns", LAB.topology().podNamespace(),
                "--duration", "6s", "-o", out.toString(), "--engine", engine,
                "--tls-keylog", LAB.lab().keyLog().toString());
        Ledger ledger = LAB.traffic(CONNECTIONS, CONNECTIONS);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));

        assertEquals(everyCallPerLeg(ledger), Tshark.tcpDirectionsPerLeg(out));
        // The lab's key log, read when the capture ended, is in the file: each call's request shows on its mTLS leg
        // as on its lo leg (Wireshark needs telling that port 8080 carries TLS, not HTTP).
        for (LedgerEntry c : ledger.connections()) {
            List<List<String>> legs = Tshark.query(out, "http.request.line == \"x-request-id: " + c.requestId()
                    + "\\r\\n\"", List.of("-d", "tcp.port==8080,tls"), "frame.interface_name");
            assertEquals(2, legs.size(), c + ": " + legs);
        }
        assertTrue(run.err().contains("meshcap: " + out + " holds "), run.err());
        // Without that Decode As, tshark does not even see the TLS handshakes to 8080; those to 9080 it finds itself.
        // meshcap says so for 8080 only.
        assertEquals(List.of(), Tshark.fields(out, "tls.handshake.type == 1 && tcp.dstport == 8080", "frame.number"));
        assertFalse(Tshark.fields(out, "tls.handshake.type == 1 && tcp.dstport == 9080", "frame.number").isEmpty());
        long to8080 = ledger.connections().stream().filter(c -> c.appPort() == 8080).count();
        assertTrue(run.err().contains("meshcap: note: Wireshark dissects port 8080 as http, not TLS: to read its "
                + to8080 + " TLS connections, decode the port as TLS: tshark -d tcp.port==8080,tls"), run.err());
        assertFalse(run.err().contains("port 9080 as"), run.err());
        String pod = LAB.topology().podNamespace();
        // Every leg's metadata travels in the pcapng interface description; the outbound plaintext leg's rewritten
        // packets are on its re-associated interface, which carries the leg's description too.
        String interfaces = Tshark.run(List.of("capinfos", "-M", out.toString()));
        assertTrue(interfaces.contains("Number of interfaces in file: 5"), interfaces);
        assertTrue(interfaces.contains("Name = " + pod + "/lo:outbound-plain (re-associated)\n"), interfaces);
        // Whole summary lines: "0 dropped" is also a substring of "10 dropped".
        assertEquals(4, run.err().lines().filter(l -> l.matches("  \\S+: \\d+ packets, .*, 0 dropped")).count(), run.err());
        assertTrue(run.err().contains("re-associated across the REDIRECT"), run.err());
        // Every leg says when it started listening, before the capture is announced and the duration counts.
        List<String> started = run.err().lines()
                .filter(l -> l.matches("meshcap: \\d\\d:\\d\\d:\\d\\d\\.\\d{3} listening: .*")).toList();
        assertEquals(4, started.size(), run.err());
        // Legs start together, so they report in any order.
        assertTrue(started.stream().anyMatch(l -> l.contains(" listening: " + pod + "/eth0:inbound-mtls on eth0,"
                + " filter (dst host 198.18.0.2")), run.err());
        int capturing = run.err().indexOf("meshcap: capturing 4 leg(s) for 6 s (--duration counts from now, when every"
                + " leg listens), until ");
        assertTrue(started.stream().allMatch(l -> capturing > run.err().indexOf(l)), run.err());
        assertEquals(List.of(out), listDirectory(), "no spool directory is left behind");
    }

    /** Each direction of each conversation, opened (SYN) and closed (FIN). */
    private static Map<String, Set<String>> wholeCallsPerLeg(Map<String, Set<String>> tuples) {
        Map<String, Set<String>> whole = new TreeMap<>();
        tuples.forEach((leg, directions) -> directions.forEach(d -> add(whole, leg, d + " SYN", d + " FIN")));
        return whole;
    }

    /** The SYNs and FINs in a merged file, as {@code src:port>dst:port SYN|FIN} per leg. */
    private static Map<String, Set<String>> handshakesAndClosesPerLeg(Path file) {
        Map<String, Set<String>> seen = new TreeMap<>();
        for (List<String> row : Tshark.fields(file, "tcp.flags.syn == 1 || tcp.flags.fin == 1", "frame.interface_name",
                "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tcp.flags.syn")) {
            String direction = row.get(1) + ":" + row.get(2) + ">" + row.get(3) + ":" + row.get(4);
            boolean syn = row.get(5).equals("1") || row.get(5).equalsIgnoreCase("true");
            add(seen, Tshark.leg(row.get(0)), direction + (syn ? " SYN" : " FIN"));
        }
        return seen;
    }

    /** What the sidecar legs show of every call in the ledger, both directions, re-associated. */
    private static Map<String, Set<String>> everyCallPerLeg(Ledger ledger) {
        String pod = LAB.topology().podNamespace();
        Map<String, Set<String>> expected = new TreeMap<>();
        for (LedgerEntry c : ledger.connections()) {
            if (c.kind() == LedgerEntry.Kind.INBOUND) {
                add(expected, pod + "/eth0:inbound-mtls", tuple(c.client(), c.destination()), tuple(c.destination(), c.client()));
                add(expected, pod + "/lo:inbound-plain", tuple(c.serverPeer(), c.destination()), tuple(c.destination(), c.serverPeer()));
            } else {
                // Re-associated (the default): the request direction carries the original destination again,
                // so the app's connection is one conversation instead of two halves via 127.0.0.1:15001.
                add(expected, pod + "/lo:outbound-plain", tuple(c.client(), c.destination()), tuple(c.destination(), c.client()));
                add(expected, pod + "/eth0:outbound-mtls", tuple(c.serverPeer(), c.destination()), tuple(c.destination(), c.serverPeer()));
            }
        }
        return expected;
    }

    private static void add(Map<String, Set<String>> map, String key, String... tuples) {
        map.computeIfAbsent(key, k -> new HashSet<>()).addAll(List.of(tuples));
    }

    private List<Path> listDirectory() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void noReassociateKeepsTheRedirectedHalvesAsCaptured() throws Exception {
        Path out = dir.resolve("raw.pcapng");
        Background capture = captureInBackground("capture", "outbound-plain", "--netns", LAB.topology().podNamespace(),
                "--duration", "4s", "--no-reassociate", "-o", out.toString());
        Ledger ledger = LAB.traffic(0, 2);
        assertEquals(0, capture.await().exitCode());
        Set<String> seen = new HashSet<>();
        for (List<String> row : Tshark.fields(out, "tcp", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport")) {
            seen.add(row.get(0) + ":" + row.get(1) + ">" + row.get(2) + ":" + row.get(3));
        }
        for (LedgerEntry c : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            assertTrue(seen.contains(tuple(c.client(), new Endpoint("127.0.0.1", IstioDefaults.OUTBOUND_CAPTURE_PORT))), seen.toString());
        }
    }

    @Test
    void gatewaySidesSplitTrafficByTheNormalisedClusterCidr() throws Exception {
        // 198.18.0.3/31 has a host bit set; normalised to 198.18.0.2/31 it holds the pod (.2) but not the mesh (.1),
        // so every eth0 connection crosses the cluster boundary: all downstream, nothing upstream.
        Path out = dir.resolve("gateway.pcapng");
        Background capture = captureInBackground("capture", "gateway", "--netns", LAB.topology().podNamespace(),
                "--cluster-cidr", "198.18.0.3/31", "--duration", "4s", "-o", out.toString());
        LAB.traffic(2, 2);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("198.18.0.3/31 -> 198.18.0.2/31"), run.err());
        Map<String, Integer> perLeg = new TreeMap<>();
        for (List<String> row : Tshark.fields(out, "tcp", "frame.interface_name")) {
            perLeg.merge(row.get(0), 1, Integer::sum);
        }
        String pod = LAB.topology().podNamespace();
        assertEquals(Set.of(pod + "/eth0:gateway-downstream"), perLeg.keySet(), perLeg.toString());
        assertTrue(perLeg.get(pod + "/eth0:gateway-downstream") >= 4 * 8, perLeg.toString());
    }

    @Test
    void countLimitEndsEveryLegAndTheCaptureByItself() throws Exception {
        Path out = dir.resolve("count.pcapng");
        Background capture = captureInBackground("capture", "outbound-plain", "--netns", LAB.topology().podNamespace(),
                "--count", "5", "-o", out.toString());
        LAB.traffic(0, 2);
        CliRun run = capture.await();
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(5, Tshark.count(out));
    }

    /** meshcap in a child JVM (so it can be signalled); returns once every leg listens. */
    private ChildMeshcap captureInChildJvm(List<String> jvmOptions, String... args) throws Exception {
        ChildMeshcap meshcap = ChildMeshcap.start(dir, jvmOptions, List.of(args));
        meshcap.awaitErr("meshcap: capturing", Duration.ofSeconds(30));
        return meshcap;
    }

    @Test
    void ctrlCLeavesAValidMergedFileAndNoProcesses() throws Exception {
        Path out = dir.resolve("interrupted.pcapng");
        ChildMeshcap meshcap = captureInChildJvm(List.of(),
                "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o", out.toString());
        Ledger ledger = LAB.traffic(2, 2);
        // Right after the last call: what the legs have not written yet must still reach the file.
        meshcap.signal("INT");
        meshcap.await(Duration.ofSeconds(60));
        String err = meshcap.err();
        assertTrue(err.contains("meshcap: wrote " + out), err);
        Tshark.run(List.of("capinfos", out.toString()));
        assertEquals(wholeCallsPerLeg(everyCallPerLeg(ledger)), handshakesAndClosesPerLeg(out),
                "every call made before Ctrl-C is kept whole, from SYN to FIN, on every leg");
        String pids = CommandRunner.run(List.of("ip", "netns", "pids", LAB.topology().podNamespace())).stdout();
        for (String pid : pids.lines().toList()) {
            String cmdline = Files.readString(Path.of("/proc", pid, "cmdline")).replace('\0', ' ');
            assertFalse(cmdline.contains("tcpdump"), "tcpdump left running: " + cmdline);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".")), "spool left behind");
        }
    }

    @Test
    void sigkillOfMeshcapTakesEveryTcpdumpItStartedWithIt() throws Exception {
        // The child's temporary directory is the test's own, so whatever it leaves there is its own.
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        ChildMeshcap meshcap = captureInChildJvm(List.of("-Djava.io.tmpdir=" + tmp),
                "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o",
                dir.resolve("killed.pcapng").toString());
        // Only this child's own tcpdumps: other tests run tcpdump at the same time.
        List<ProcessHandle> tcpdumps = meshcap.descendants()
                .filter(p -> p.info().command().orElse("").endsWith("/tcpdump")).toList();
        try {
            assertEquals(4, tcpdumps.size(), "one tcpdump per leg: " + tcpdumps);
            meshcap.stop(true);
            meshcap.await(Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (tcpdumps.stream().anyMatch(CaptureCommandLabTest::running) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(List.of(), tcpdumps.stream().filter(CaptureCommandLabTest::running).toList(),
                    "tcpdump outlived meshcap by 2 s");
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(), left.toList(), "temporary files left behind");
            }
        } finally {
            tcpdumps.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Alive and not a zombie (a killed child that its new parent has not reaped yet no longer runs). */
    private static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
        }
    }

    @Test
    void printPlanShowsTheDiscoveredValuesAndCapturesNothing() {
        CliRun run = CliRun.of("capture", "sidecar", "--netns", LAB.topology().podNamespace(), "--print-plan");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("dst port (8080 or 9080)"), "app ports discovered from the pod: " + run.out());
        assertTrue(run.out().lines().filter(l -> l.contains("filter:")).noneMatch(l -> l.contains("15006")),
                "the sidecar's own listeners are not application ports: " + run.out());
        assertTrue(run.out().contains("re-associate: yes, undoing the REDIRECT to ports 15001 (outbound) and 15006"
                + " (inbound)"), "the lab's rules name both ports: " + run.out());
        assertTrue(run.out().contains("portrange 32768-60999"), run.out());
        assertTrue(run.out().contains("nsenter --net=/run/netns/" + LAB.topology().podNamespace() + " -- tcpdump"), run.out());
        assertFalse(run.err().contains("assuming"), "the range was read from the pod, not assumed: " + run.err());

        CliRun pcap4j = CliRun.of("capture", "sidecar", "--netns", LAB.topology().podNamespace(), "--print-plan",
                "--engine", "pcap4j");
        assertEquals(0, pcap4j.exitCode(), pcap4j.toString());
        assertTrue(pcap4j.out().contains("capture:   libpcap inside meshcap (--engine pcap4j)"), pcap4j.out());
        assertFalse(pcap4j.out().contains("tcpdump"), "no tcpdump runs with --engine pcap4j: " + pcap4j.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--count 0", "--max-size 0", "--max-size 60K", "--max-size 99999999999G", "--duration 99999999999999999999",
        "--duration 9999999999999999h", "--duration 99999999999999999s", "--proxy-uid -1", "--ring 99999999999",
        "--snaplen 99999999999", "--pod-ip 198.18.0.2 --pod-ip 198.18.0.3", "--port 0", "--outbound-port 70000",
        "--ephemeral-range 5-1", "--cluster-cidr 10.0.0.0/33"})
    void flagsThatCannotWorkAreRefusedBeforeAnythingIsReadOrStarted(String flags) {
        List<String> args = new ArrayList<>(List.of("capture", "sidecar", "--netns", LAB.topology().podNamespace(),
                "--print-plan"));
        args.addAll(List.of(flags.split(" ")));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("", run.out(), "no plan is printed");
        assertFalse(run.err().contains("note:"), "refused before the namespace was read: " + run.err());
        assertFalse(run.err().matches("(?s).*(Exception|java\\.|not an? (int|long)|negative).*"),
                "said in the user's terms: " + run.err());
    }

    @Test
    void thePlanSaysWhatTheLimitsMeanInExactUnits() {
        CliRun run = CliRun.of("capture", "outbound-plain", "--netns", LAB.topology().podNamespace(), "--print-plan",
                "--duration", "5m", "--max-size", "100M", "--count", "7");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("  stops:     after 300 s (counted once every leg listens), after 7 packets,"
                + " at 104857600 bytes (100.0 MB) per leg"), run.out());
        CliRun ring = CliRun.of("capture", "outbound-plain", "--netns", LAB.topology().podNamespace(), "--print-plan",
                "--max-size", "500K", "--ring", "3");
        assertEquals(0, ring.exitCode(), ring.toString());
        assertTrue(ring.out().contains("  stops:     on Ctrl-C; keeps the newest 3 files of 512000 bytes (500.0 KB)"
                + " per leg"), ring.out());
    }

    @Test
    void targetsThatDoNotExistAreUsageErrors() {
        assertEquals(2, CliRun.of("capture", "sidecar", "--netns", "no-such-ns-x").exitCode());
        assertEquals(2, CliRun.of("capture", "sidecar", "--pid", "999999999").exitCode());
        assertEquals(2, CliRun.of("capture", "sidecar", "--netns", "a;b").exitCode());
        assertEquals(2, CliRun.of("capture", "sidecar").exitCode());
    }
}
