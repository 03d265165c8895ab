package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.cli.CliRun;
import io.meshcap.testing.Tshark;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whole {@code meshcap capture --pod} runs from the command line against the mock API server, judged by what the
 * API saw (the server's request log: what was created, exec'd and removed), the exit code, the summary and the
 * merged file as tshark reads it. Every strategy, not only exec; the commands expected in the pod are written out
 * by hand ({@link ExpectedArgv}).
 */
class ClusterCaptureCliTest extends AgainstMockCluster {

    private static final long NODE_PID = 4242;
    /** inbound-mtls of the mock pod (both its addresses, its declared TCP port 9080), as the preset defines it. */
    private static final String INBOUND_FILTER = "(dst host (10.244.1.17 or fd00:10:244:1::11) and dst port 9080) or "
            + "(src host (10.244.1.17 or fd00:10:244:1::11) and src port 9080)";
    private static final String PODS = "/api/v1/namespaces/" + NAMESPACE + "/pods";

    private final byte[] pcap = MockCluster.resource(PcapFiles.LO_SMALL);

    private static String counts(int packets, int dropped) {
        return packets + " packets captured\n" + packets + " packets received by filter\n" + dropped
                + " packets dropped by kernel\n";
    }

    private void privilegedProxy() {
        cluster.create(MockCluster.privilegedProxyPod().build());
    }

    /** tcpdump present, the pod's facts (nothing but its port range), in {@code pod}/{@code container}. */
    private void scriptToolsAndFacts(String pod, String container) {
        cluster.tcpdumpIn(pod, container);
        cluster.factsReturn(pod, container, Map.of(PodFacts.PORT_RANGE, "32768\t60999\n"));
    }

    /** A capture exec that streams the whole recording, tcpdump's counts and exit 0. */
    private void scriptWholeCapture(String pod, String container, List<String> argv, int dropped) {
        cluster.captureStreams(pod, container, argv, "eth0", pcap, counts(20, dropped), 0);
    }

    private CliRun capture(Path out, String... more) {
        return capture(new StringWriter(), out, more);
    }

    private CliRun capture(StringWriter err, Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("capture", "inbound-mtls", "--pod", POD,
                "--kubeconfig", kubeconfig.toString(), "-o", out.toString(), "--duration", "30s"));
        args.addAll(List.of(more));
        return CliRun.of(err, args.toArray(String[]::new));
    }

    private static List<RecordedRequest> requests(List<RecordedRequest> log, String method, String path) {
        return log.stream().filter(r -> r.getMethod().equals(method) && r.getPath().equals(path)).toList();
    }

    @Test
    void theEphemeralStrategyAddsOneDebugContainerCapturesInItAndStopsIt() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        server.expect().patch().withPath(PODS + "/" + POD + "/ephemeralcontainers")
                .andReturn(200, MockCluster.targetPod().build()).once();
        Path out = temp.resolve("ephemeral.pcapng");
        CliRun run;
        StringWriter err = new StringWriter();
        FakeKubelet kubelet = new FakeKubelet(cluster, err, (pod, container) -> {
            scriptToolsAndFacts(pod, container);
            scriptWholeCapture(pod, container, ExpectedArgv.capture("eth0", INBOUND_FILTER), 0);
            cluster.execReturns(pod, container, ExpectedArgv.release(), "", 0);
        });
        try (kubelet) {
            run = capture(err, out, "--strategy", "ephemeral");
        }

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(20, Tshark.count(out));
        String debug = kubelet.ephemeralContainer();
        assertNotNull(debug, "no ephemeral container was added");
        assertTrue(run.err().contains("meshcap: run " + debug.substring("meshcap-".length())), run.err());
        List<RecordedRequest> log = kubelet.log();
        List<RecordedRequest> patches = requests(log, "PATCH", PODS + "/" + POD + "/ephemeralcontainers");
        assertEquals(1, patches.size(), "one debug container is added");
        String body = patches.get(0).getUtf8Body();
        assertTrue(body.contains("\"NET_ADMIN\"") && body.contains("\"NET_RAW\"")
                && body.contains("\"targetContainerName\":\"istio-proxy\""), body);
        assertEquals(List.of(), log.stream().filter(MockCluster::changesSomething)
                .filter(r -> r.getMethod().equals("POST") || r.getMethod().equals("DELETE"))
                .toList(), "the ephemeral strategy creates and deletes no pod");
        List<String> execs = kubelet.execs();
        assertEquals(POD + "/" + debug + ": " + ExpectedArgv.capture("eth0", INBOUND_FILTER),
                execs.stream().filter(e -> e.contains("tcpdump, --immediate-mode")).findFirst().orElseThrow());
        assertEquals(POD + "/" + debug + ": " + ExpectedArgv.release(), execs.get(execs.size() - 1),
                "the last thing meshcap does in the pod is to stop its debug container: " + execs);
        assertTrue(execs.stream().allMatch(e -> e.startsWith(POD + "/" + debug + ": ")), "nothing runs in istio-proxy: "
                + execs);
    }

    @Test
    void theNodeStrategyCreatesOnePrivilegedPodCapturesThroughItAndDeletesIt() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        Path out = temp.resolve("node.pcapng");
        CliRun run;
        StringWriter err = new StringWriter();
        FakeKubelet kubelet = new FakeKubelet(cluster, err, (pod, container) -> {
            cluster.tcpdumpIn(pod, container);
            cluster.execReturns(pod, container, CaptureArgv.findPid(MockCluster.PROXY_ID), NODE_PID + "\n", 0);
            CaptureArgv.facts().forEach((name, argv) -> {
                List<String> inPod = new java.util.ArrayList<>(List.of("nsenter", "-n", "-t", "" + NODE_PID, "--"));
                inPod.addAll(argv);
                cluster.execReturns(pod, container, inPod, name.equals(PodFacts.PORT_RANGE) ? "32768\t60999\n" : "", 0);
            });
            scriptWholeCapture(pod, container, ExpectedArgv.nsenterCapture(NODE_PID, "eth0", INBOUND_FILTER), 0);
        });
        try (kubelet) {
            run = capture(err, out, "--strategy", "node");
        }

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(20, Tshark.count(out));
        String nodePod = kubelet.nodePod();
        assertNotNull(nodePod, "no node pod was created");
        List<RecordedRequest> log = kubelet.log();
        List<RecordedRequest> created = requests(log, "POST", PODS);
        assertEquals(1, created.size(), "one node pod");
        Pod spec = kubelet.nodePodAsCreated();
        assertEquals("worker-2", spec.getSpec().getNodeName(), "pinned to the target's node");
        assertEquals(true, spec.getSpec().getHostPID());
        assertEquals(true, spec.getSpec().getContainers().get(0).getSecurityContext().getPrivileged());
        assertEquals(MockCluster.NAMESPACE + "/" + POD, spec.getMetadata().getAnnotations().get("meshcap.io/target"));
        assertEquals(1, requests(log, "DELETE", PODS + "/" + nodePod).size(), "the node pod is deleted");
        assertTrue(log.indexOf(requests(log, "DELETE", PODS + "/" + nodePod).get(0))
                > log.indexOf(log.stream().filter(r -> MockCluster.isExec(r) && FakeKubelet.describeExec(r).contains("-i, eth0")).findFirst()
                        .orElseThrow()), "deleted after the capture");
        assertEquals(List.of(), client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL).list()
                .getItems(), "no meshcap pod is left");
        assertTrue(kubelet.execs().contains(nodePod + "/meshcap: "
                + ExpectedArgv.nsenterCapture(NODE_PID, "eth0", INBOUND_FILTER)), kubelet.execs().toString());
    }

    @Test
    void aLegThatFailsMidCaptureMakesTheCaptureExitOneAndKeepsWhatItGot() throws Exception {
        privilegedProxy();
        scriptToolsAndFacts(POD, PROXY);
        int kept = PcapFiles.recordEnds(pcap).get(9);
        cluster.captureStreams(POD, PROXY, ExpectedArgv.capture("eth0", INBOUND_FILTER), "eth0",
                Arrays.copyOfRange(pcap, 0, kept), "tcpdump: pcap_loop: The interface disappeared\n", 1);
        Path out = temp.resolve("failed.pcapng");

        CliRun run = capture(out);

        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains(", FAILED: leg " + POD + "/eth0:inbound-mtls: tcpdump exited 1: "), run.err());
        assertTrue(run.err().contains("tcpdump: pcap_loop: The interface disappeared"), "tcpdump's own words: " + run.err());
        assertTrue(run.err().contains("meshcap: a leg failed (see above); " + out + " holds what was captured"), run.err());
        assertEquals(10, Tshark.count(out), "the ten packets received before the failure are kept");
    }

    @Test
    void theSummaryGivesTheLegsExactDropCount() {
        privilegedProxy();
        scriptToolsAndFacts(POD, PROXY);
        scriptWholeCapture(POD, PROXY, ExpectedArgv.capture("eth0", INBOUND_FILTER), 10);
        Path out = temp.resolve("drops.pcapng");

        CliRun run = capture(out);

        assertEquals(0, run.exitCode(), run.toString());
        // The whole line: "0 dropped" is a substring of "10 dropped", so a substring check proves nothing.
        Pattern line = Pattern.compile("(?m)^  " + POD + "/eth0:inbound-mtls: 20 packets, [0-9.]+ [KM]?B, 10 dropped$");
        assertTrue(line.matcher(run.err()).find(), run.err());
    }

    /**
     * The helper starts only after meshcap gave up on it (an image pull slower than {@code --ready-timeout}): the
     * wait ends at 2 s, not the default 120 s, and clean-up still stops the late helper rather than leave it
     * idling for its lifetime. The kubelet starts it once meshcap says it waits to stop it, so no test waits idly
     * (a helper that never starts costs clean-up its whole 30 s start wait, and took this test past its limit
     * under PIT on a loaded machine).
     */
    @Test
    @Timeout(60)
    void readyTimeoutBoundsTheWaitAndAHelperThatStartsLateIsStillStopped() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        server.expect().patch().withPath(PODS + "/" + POD + "/ephemeralcontainers")
                .andReturn(200, MockCluster.targetPod().build()).once();
        CliRun run;
        StringWriter err = new StringWriter();
        FakeKubelet kubelet = new FakeKubelet(cluster, err,
                (pod, container) -> cluster.execReturns(pod, container, ExpectedArgv.release(), "", 0),
                pod -> err.toString().contains(" is still starting; waiting up to 30 s for it to run, to stop it"));
        try (kubelet) {
            run = capture(err, temp.resolve("late.pcapng"), "--strategy", "ephemeral", "--ready-timeout", "2");
        }

        assertEquals(1, run.exitCode(), run.toString());
        String debug = kubelet.ephemeralContainer();
        assertTrue(run.err().contains("meshcap: helper container " + debug + " in pod " + NAMESPACE + "/" + POD
                + " did not start within 2s (no status yet); check: kubectl describe pod -n " + NAMESPACE + " " + POD),
                run.err());
        assertTrue(run.err().contains("note: ephemeral container " + debug + " in pod " + NAMESPACE + "/" + POD
                + " is still starting; waiting up to 30 s for it to run, to stop it\n"), run.err());
        assertEquals(List.of(POD + "/" + debug + ": " + ExpectedArgv.release()), kubelet.execs(),
                "the late helper is stopped, and nothing else runs in it");
        assertFalse(run.err().contains("could not stop"), run.err());
    }

    /** Two pods of one selector, each with the ephemeral strategy, planned (set up, read, removed). */
    private FakeKubelet twoPodsOfASelector(StringWriter err, java.util.function.Predicate<String> startsHelpersIn)
            throws InterruptedException {
        String other = "reviews-v2-5b1f";
        cluster.create(MockCluster.targetPod().build());
        cluster.create(MockCluster.targetPod().editMetadata().withName(other).endMetadata().build());
        for (String pod : List.of(POD, other)) {
            server.expect().patch().withPath(PODS + "/" + pod + "/ephemeralcontainers")
                    .andReturn(200, MockCluster.targetPod().build()).once();
        }
        return new FakeKubelet(cluster, err, (pod, container) -> {
            scriptToolsAndFacts(pod, container);
            cluster.execReturns(pod, container, ExpectedArgv.release(), "", 0);
        }, startsHelpersIn);
    }

    private CliRun planSelector(StringWriter err, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("capture", "inbound-mtls", "-l", "app=reviews",
                "--strategy", "ephemeral", "--kubeconfig", kubeconfig.toString(), "--print-plan"));
        args.addAll(List.of(more));
        return CliRun.of(err, args.toArray(String[]::new));
    }

    @Test
    @Timeout(60)
    void maxParallelOneSetsUpThePodsOfASelectorOneAfterTheOther() throws Exception {
        CliRun run;
        StringWriter err = new StringWriter();
        FakeKubelet kubelet = twoPodsOfASelector(err, pod -> true);
        try (kubelet) {
            run = planSelector(err, "--max-parallel", "1");
        }

        assertEquals(0, run.exitCode(), run.toString());
        List<RecordedRequest> log = kubelet.log();
        List<Integer> patches = indexesOf(log, r -> r.getMethod().equals("PATCH"));
        List<Integer> probes = indexesOf(log, r -> MockCluster.isExec(r)
                && MockCluster.commandOf(r).equals(List.of("tcpdump", "--version")));
        assertEquals(2, patches.size(), log.toString());
        assertEquals(2, probes.size(), log.toString());
        assertTrue(probes.get(0) < patches.get(1), "the second pod is set up only when the first is ready: patches at "
                + patches + ", probes at " + probes);
    }

    @Test
    @Timeout(60)
    void withoutMaxParallelOneThePodsOfASelectorAreSetUpTogether() throws Exception {
        // The kubelet starts neither debug container before both were added: only a parallel set-up can finish.
        CountDownLatch bothAdded = new CountDownLatch(2);
        CliRun run;
        StringWriter err = new StringWriter();
        FakeKubelet kubelet = twoPodsOfASelector(err, pod -> {
            bothAdded.countDown();
            return bothAdded.getCount() == 0;
        });
        try (kubelet) {
            run = planSelector(err, "--max-parallel", "2", "--ready-timeout", "20");
        }

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(bothAdded.await(0, TimeUnit.SECONDS));
        assertEquals(2, CliRun.of("capture", "inbound-mtls", "-l", "app=reviews", "--kubeconfig", kubeconfig.toString(),
                "--max-parallel", "0").exitCode(), "--max-parallel 0 is a usage error");
    }

    private static List<Integer> indexesOf(List<RecordedRequest> log, java.util.function.Predicate<RecordedRequest> which) {
        List<Integer> indexes = new java.util.ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            if (which.test(log.get(i))) {
                indexes.add(i);
            }
        }
        return indexes;
    }
}
