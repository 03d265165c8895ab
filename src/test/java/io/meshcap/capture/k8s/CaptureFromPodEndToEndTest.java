package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.MetadataBundle;
import io.meshcap.cli.CliRun;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap capture inbound-mtls --pod} from the command line to a merged pcapng read by tshark: kubeconfig,
 * discovery through the API, the exec strategy on a privileged proxy, in-pod facts, a real pcap stream over the
 * exec websocket, spool, merge, the metadata bundle.
 */
class CaptureFromPodEndToEndTest extends AgainstMockCluster {

    private static final String COUNTS = "20 packets captured\n20 packets received by filter\n0 packets dropped by kernel\n";

    @BeforeEach
    void setUp() throws IOException {
        cluster.create(MockCluster.privilegedProxyPod().build());
    }

    @Test
    void capturesALegOfAPodIntoOneMergedFileWithItsMetadata() throws Exception {
        Map<String, String> facts = Map.of(PodFacts.PORT_RANGE, "20000\t29999\n");
        cluster.tcpdumpIn(POD, PROXY);
        cluster.factsReturn(POD, PROXY, facts);
        CliRun plan = CliRun.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(), "--print-plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.out().contains("dst host (10.244.1.17 or fd00:10:244:1::11) and dst port 9080"),
                "pod addresses and the app port come from the API: " + plan.out());
        String filter = "(dst host (10.244.1.17 or fd00:10:244:1::11) and dst port 9080) or "
                + "(src host (10.244.1.17 or fd00:10:244:1::11) and src port 9080)";
        assertTrue(plan.out().contains("  filter:    " + filter + "\n"), plan.out());

        cluster.tcpdumpIn(POD, PROXY);
        cluster.factsReturn(POD, PROXY, facts);
        cluster.captureStreams(POD, PROXY, ExpectedArgv.capture("eth0", filter), "eth0",
                MockCluster.resource(PcapFiles.LO_SMALL), COUNTS, 0);

        Path out = temp.resolve("pod.pcapng");
        CliRun run = CliRun.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "-o", out.toString(), "--duration", "20s");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(20, Tshark.count(out));
        assertEquals(List.of(List.of(POD + "/eth0:inbound-mtls")),
                Tshark.fields(out, "frame.number == 1", "frame.interface_name"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        Path bundle = MetadataBundle.directoryFor(out).resolve(NAMESPACE + "_" + POD);
        assertEquals("20000\t29999\n", Files.readString(bundle.resolve("ip_local_port_range.txt")));
        assertTrue(Files.readString(bundle.resolve("meshcap.txt")).startsWith("meshcap "));
        assertTrue(run.err().lines().anyMatch(("  " + POD + "/eth0:inbound-mtls: 20 packets, 2.2 KB, 0 dropped")::equals),
                run.err());
    }

    @Test
    void aHostilePodNameNeverReachesTheApi() {
        int before = server.getRequestCount();
        CliRun run = CliRun.of("capture", "sidecar", "--pod", "x; rm -rf /", "--kubeconfig", kubeconfig.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals(before, server.getRequestCount(), "refused before any request");
    }

    @Test
    void anUnreachableApiServerIsNamedWithTheReasonInWords() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        Path nowhere = Files.writeString(temp.resolve("nowhere"), Files.readString(kubeconfig)
                .replaceAll("server: \\S+", "server: https://127.0.0.1:" + closed));

        CliRun run = CliRun.of("capture", "sidecar", "--pod", POD, "--kubeconfig", nowhere.toString());

        assertEquals(1, run.exitCode(), run.toString());
        assertEquals("meshcap: cannot connect to the Kubernetes API at https://127.0.0.1:" + closed
                + " (connection refused); check --context/--kubeconfig\n", run.err());
    }

    @Test
    void maxParallelZeroIsRefusedBeforeTheApiIsContacted() {
        int before = server.getRequestCount();
        CliRun run = CliRun.of("capture", "sidecar", "-l", "app=reviews", "--kubeconfig", kubeconfig.toString(),
                "--max-parallel", "0");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("meshcap: --max-parallel must be at least 1 (pods set up at once), not 0\n", run.err());
        assertEquals(before, server.getRequestCount(), "refused before any request");
    }

    @Test
    void aContainerOneSelectedPodLacksIsRefusedBeforeAnythingIsCreatedInAnyPod() throws Exception {
        cluster.create(MockCluster.targetPod().editMetadata().withName("reviews-v2-5f1a").endMetadata()
                .editSpec().withContainers(MockCluster.targetPod().buildSpec().getContainers().get(1)).endSpec()
                .build());
        cluster.requests();

        CliRun run = CliRun.of("capture", "sidecar", "-l", "app=reviews", "--kubeconfig", kubeconfig.toString(),
                "--container", "reviews", "--strategy", "ephemeral");

        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("meshcap: container 'reviews' not found in pod shop/reviews-v2-5f1a; it has: "
                + "istio-proxy"), run.err());
        assertTrue(cluster.requests().stream().noneMatch(MockCluster::changesSomething),
                "nothing was created in the pod that has the container");
    }

    @Test
    void notesOfTheStrategiesTriedCarryOnePrefix() {
        cluster.create(MockCluster.targetPod().editMetadata().withName("ratings-v1-0a1b").endMetadata().build());
        cluster.deny(new Permission("patch", "pods", "ephemeralcontainers", NAMESPACE));
        cluster.deny(new Permission("create", "pods", "", NAMESPACE));

        CliRun run = CliRun.of("capture", "sidecar", "--pod", "ratings-v1-0a1b", "--kubeconfig", kubeconfig.toString());

        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("\nmeshcap: note: strategy exec: container istio-proxy of pod "
                + "shop/ratings-v1-0a1b is not privileged"), run.err());
        assertTrue(run.err().contains("\nmeshcap: note: strategy ephemeral: forbidden: you may not patch "
                + "pods/ephemeralcontainers in namespace shop"), run.err());
        assertTrue(run.err().lines().allMatch(line -> line.startsWith("meshcap: ") && !line.startsWith("meshcap: meshcap:")
                || line.startsWith("  ")), run.err());
    }

    @Test
    void localAndClusterTargetsExcludeEachOther() {
        assertEquals(2, CliRun.of("capture", "sidecar", "--pod", POD, "--netns", "x").exitCode());
    }

    /** How long the pod's tcpdump takes to say it listens: longer than the exec takes to start. */
    private static final long SLOW_START_MS = 1500;

    @Test
    void capturingIsSaidOnlyOnceTcpdumpInThePodListens() {
        cluster.exec(POD, PROXY, CaptureArgv.capture(plannedLeg()))
                .andEmit(stderr("meshcap-pid 9001\n"))
                // The mock times each frame from the start of the exec, so the later frames come later still.
                .waitFor(5).andEmit(MockCluster.stderrAfter(SLOW_START_MS, "tcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(MockCluster.stdoutAfter(SLOW_START_MS + 5, MockCluster.resource(PcapFiles.LO_SMALL)))
                .waitFor(5).andEmit(MockCluster.stderrAfter(SLOW_START_MS + 10, COUNTS))
                .waitFor(5).andEmit(MockCluster.successAfter(SLOW_START_MS + 15))
                .done().once();

        CliRun run = captureWithGivenFilterValues();

        assertEquals(0, run.exitCode(), run.toString());
        int listening = run.err().indexOf(" listening: " + POD + "/eth0:inbound-mtls on eth0, filter ");
        assertTrue(listening > 0, run.err());
        assertTrue(run.err().indexOf("meshcap: capturing 1 leg(s) for 20 s") > listening, run.err());
    }

    @Test
    void aTcpdumpThatEndsBeforeItListensEndsTheCaptureWithItsOwnWords() {
        cluster.exec(POD, PROXY, CaptureArgv.capture(plannedLeg()))
                .andEmit(stderr("meshcap-pid 9001\ntcpdump: eth0: No such device exists\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1))
                .done().once();

        CliRun run = captureWithGivenFilterValues();

        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("leg " + POD + "/eth0:inbound-mtls: tcpdump ended before it was listening (exit 1):"
                + " tcpdump: eth0: No such device exists"), run.err());
        assertFalse(run.err().contains("meshcap: capturing"), "nothing was announced: " + run.err());
    }

    private static final List<String> GIVEN_FILTER_VALUES = List.of("--extra-filter", "tcp", "-p", "9080", "--pod-ip",
            "10.244.1.17");

    private CliRun captureWithGivenFilterValues() {
        List<String> args = new ArrayList<>(List.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig",
                kubeconfig.toString(), "-o", temp.resolve("pod.pcapng").toString(), "--duration", "20s"));
        args.addAll(GIVEN_FILTER_VALUES);
        return CliRun.of(args.toArray(String[]::new));
    }

    /** The leg {@link #captureWithGivenFilterValues} runs, as --print-plan shows it; the pod is ready for the run. */
    private LegPlan plannedLeg() {
        List<String> args = new ArrayList<>(List.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig",
                kubeconfig.toString(), "--print-plan"));
        args.addAll(GIVEN_FILTER_VALUES);
        for (int run = 0; run < 2; run++) {
            cluster.tcpdumpIn(POD, PROXY);
            cluster.factsReturn(POD, PROXY, Map.of());
        }
        CliRun plan = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, plan.exitCode(), plan.toString());
        String filter = plan.out().lines().filter(l -> l.strip().startsWith("filter:")).findFirst().orElseThrow()
                .strip().substring("filter:".length()).strip();
        return new LegPlan(NAMESPACE + "/" + POD, "eth0", "inbound-mtls", filter, false, CaptureLimits.none(), Map.of());
    }
}
