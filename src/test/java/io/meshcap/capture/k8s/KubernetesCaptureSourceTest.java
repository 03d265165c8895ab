package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.DEBUG;
import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static io.meshcap.capture.k8s.MockCluster.stdout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegCapture.LegOutcome;
import io.meshcap.capture.LegPlan;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class KubernetesCaptureSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long TCPDUMP_PID = 9001;
    // Long enough that the test has stopped the leg before the mock ends it, even on a busy machine.
    private static final long STOPPED_AFTER_MS = 1500;
    // Discovery reads the pod, and so does the ephemeral container patch (it is computed from the pod).
    private static final int READS_BEFORE_PATCH = 2;
    private static final String COUNTS = "20 packets captured\n20 packets received by filter\n0 packets dropped by kernel\n";

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;

    private MockCluster cluster;
    private final List<String> notes = new ArrayList<>();
    private final byte[] pcap = MockCluster.resource(PcapFiles.LO_SMALL);

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
    }

    private static LaunchSettings settings(Strategy strategy) {
        return LaunchSettings.of(strategy).withRunId(MockCluster.RUN_ID).withReadyTimeout(Duration.ofSeconds(5));
    }

    private static LegPlan leg(String filter) {
        return new LegPlan(NAMESPACE + "/" + POD, "lo", "inbound-mtls", filter, true, CaptureLimits.none(), Map.of());
    }

    private KubernetesCaptureSource open(Strategy strategy) {
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        return KubernetesCaptureSource.open(cluster.run(settings(strategy), notes), pod, Optional.empty());
    }

    /** The target with meshcap's debug container running, the patch accepted and tcpdump present in it. */
    private void ephemeralReady() {
        cluster.create(MockCluster.targetWithRunningDebugContainer());
        cluster.acceptEphemeralPatch(READS_BEFORE_PATCH);
        cluster.execReturns(POD, DEBUG, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.execReturns(POD, DEBUG, CaptureArgv.release(), "", 0);
    }

    @Test
    void ephemeralStrategyStreamsRealPcapBytesIntoTheSink() throws Exception {
        ephemeralReady();
        LegPlan leg = leg("tcp port 18080");
        cluster.exec(POD, DEBUG, CaptureArgv.capture(leg))
                .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\ntcpdump: listening on lo\n"))
                .waitFor(5).andEmit(stdout(Arrays.copyOfRange(pcap, 0, 100)))
                .waitFor(5).andEmit(stdout(Arrays.copyOfRange(pcap, 100, pcap.length)))
                .waitFor(5).andEmit(stderr(COUNTS))
                .waitFor(5).andEmit(new StatusStreamMessage(0))
                .done().once();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        LegOutcome outcome;
        try (KubernetesCaptureSource source = open(Strategy.EPHEMERAL)) {
            assertEquals(Strategy.EPHEMERAL, source.strategy());
            outcome = source.start(leg, sink).await(WAIT);
        }

        assertEquals(new LegOutcome(0, 0, ""), outcome);
        assertArrayEquals(pcap, sink.toByteArray());
        assertEquals(20, PcapFiles.packetsReadByTshark(sink.toByteArray(), temp));
        List<RecordedRequest> requests = cluster.requests();
        RecordedRequest patch = requests.stream().filter(r -> r.getMethod().equals("PATCH")).findFirst().orElseThrow();
        String body = patch.getUtf8Body();
        assertTrue(body.contains("NET_ADMIN") && body.contains("NET_RAW") && body.contains("\"targetContainerName\":\"istio-proxy\""),
                body);
        assertEquals(CaptureArgv.release(), lastExec(requests), "clean-up ends the debug container's idle process");
        assertFalse(requests.stream().filter(MockCluster::isExec).map(MockCluster::commandOf)
                .anyMatch(argv -> argv.get(0).equals("kill")), "a leg that ended by itself is not signalled");
    }

    @Test
    void streamCutMidPacketKeepsAValidPrefixAndReportsTheLostConnection() throws Exception {
        ephemeralReady();
        LegPlan leg = leg("tcp");
        List<Integer> ends = PcapFiles.recordEnds(pcap);
        int cut = ends.get(9) + 30; // ten whole packets, then 30 bytes of the eleventh
        cluster.exec(POD, DEBUG, CaptureArgv.capture(leg))
                .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\n"))
                .waitFor(5).andEmit(stdout(Arrays.copyOfRange(pcap, 0, ends.get(4))))
                .waitFor(5).andEmit(MockCluster.stdoutThenHangUp(Arrays.copyOfRange(pcap, ends.get(4), cut)))
                .done().once();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        LegOutcome outcome;
        try (KubernetesCaptureSource source = open(Strategy.EPHEMERAL)) {
            outcome = source.start(leg, sink).await(WAIT);
        }

        assertNotNull(outcome);
        assertEquals(RemoteProcess.NO_EXIT_STATUS, outcome.exitCode());
        assertTrue(outcome.message().contains("ended without an exit status"), outcome.message());
        assertArrayEquals(Arrays.copyOfRange(pcap, 0, cut), sink.toByteArray());
        assertEquals(10, PcapFiles.packetsReadByTshark(sink.toByteArray(), temp));
    }

    @Test
    void stopSignalsTcpdumpByItsPidAndTheLegEndsCleanly() throws Exception {
        ephemeralReady();
        LegPlan leg = leg("tcp");
        List<Integer> ends = PcapFiles.recordEnds(pcap);
        cluster.exec(POD, DEBUG, CaptureArgv.capture(leg))
                .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\n"))
                .waitFor(5).andEmit(stdout(Arrays.copyOfRange(pcap, 0, ends.get(2))))
                // tcpdump's flush after SIGINT: the rest, its counts, exit 0.
                .waitFor(5).andEmit(MockCluster.stdoutAfter(STOPPED_AFTER_MS, Arrays.copyOfRange(pcap, ends.get(2), pcap.length)))
                .waitFor(5).andEmit(MockCluster.stderrAfter(STOPPED_AFTER_MS + 5, COUNTS))
                .waitFor(5).andEmit(MockCluster.successAfter(STOPPED_AFTER_MS + 10))
                .done().once();
        cluster.execReturns(POD, DEBUG, CaptureArgv.stop(TCPDUMP_PID), "", 0);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        LegOutcome outcome;
        try (KubernetesCaptureSource source = open(Strategy.EPHEMERAL)) {
            LegCapture capture = source.start(leg, sink);
            waitForBytes(sink, ends.get(2));
            capture.stop();
            outcome = capture.await(WAIT);
        }

        assertEquals(new LegOutcome(0, 0, ""), outcome);
        assertArrayEquals(pcap, sink.toByteArray());
        List<List<String>> execs = cluster.requests().stream().filter(MockCluster::isExec).map(MockCluster::commandOf).toList();
        assertTrue(execs.contains(CaptureArgv.stop(TCPDUMP_PID)), execs.toString());
    }

    @Test
    void hostileFilterReachesTheApiAsOneArgumentOfAConstantScript() throws Exception {
        ephemeralReady();
        String hostile = "tcp' ; rm -rf / ; echo '$(reboot)` && kill -9 1";
        LegPlan leg = leg(hostile);
        cluster.execReturns(POD, DEBUG, CaptureArgv.capture(leg), "", 0);

        try (KubernetesCaptureSource source = open(Strategy.EPHEMERAL)) {
            assertEquals(0, source.start(leg, new ByteArrayOutputStream()).await(WAIT).exitCode());
        }

        List<String> sent = cluster.requests().stream().filter(MockCluster::isExec).map(MockCluster::commandOf)
                .filter(argv -> argv.contains("-w")).findFirst().orElseThrow();
        assertEquals(hostile, sent.get(sent.size() - 1));
        assertEquals(1, sent.stream().filter(arg -> arg.contains("rm -rf")).count());
        assertEquals(CaptureArgv.capture(leg("tcp")).subList(0, 4), sent.subList(0, 4));
    }

    @Test
    void autoSkipsExecFallsBackFromForbiddenEphemeralToANodePodAndDeletesIt() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        cluster.refuseEphemeralPatch(403, "Forbidden", "pods \"" + POD + "\" is forbidden: User \"bob\" cannot patch "
                + "resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"shop\"");
        LegPlan leg = leg("tcp port 18080");
        long nodePid = 4242;
        Kubelet kubelet = new Kubelet(name -> {
            cluster.execReturns(name, NodePodSpec.CONTAINER, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
            cluster.execReturns(name, NodePodSpec.CONTAINER, CaptureArgv.findPid(MockCluster.PROXY_ID), nodePid + "\n", 0);
            List<String> argv = new ArrayList<>(CaptureArgv.nsenter(nodePid));
            argv.addAll(CaptureArgv.capture(leg));
            cluster.exec(name, NodePodSpec.CONTAINER, argv)
                    .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\n"))
                    .waitFor(5).andEmit(stdout(pcap))
                    .waitFor(5).andEmit(stderr(COUNTS))
                    .waitFor(5).andEmit(new StatusStreamMessage(0))
                    .done().once();
        });
        kubelet.start();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        LegOutcome outcome;
        KubernetesCaptureSource source = open(Strategy.AUTO);
        try (source) {
            assertEquals(Strategy.NODE, source.strategy());
            outcome = source.start(leg, sink).await(WAIT);
        } finally {
            kubelet.interrupt();
        }

        assertEquals(0, outcome.exitCode());
        assertArrayEquals(pcap, sink.toByteArray());
        assertEquals(2, source.attempts().size());
        assertTrue(source.attempts().get(0).startsWith("exec: container istio-proxy of pod shop/" + POD
                + " is not privileged"), source.attempts().get(0));
        assertEquals("ephemeral: forbidden: cannot patch pods/ephemeralcontainers in namespace shop; grant it (see "
                + "examples/rbac.yaml) or use --strategy node", source.attempts().get(1));
        assertEquals(2, notes.size());
        assertEquals("note: strategy ephemeral: forbidden: cannot patch pods/ephemeralcontainers in namespace shop;"
                + " grant it (see examples/rbac.yaml) or use --strategy node", notes.get(1));
        String nodePod = kubelet.nodePod;
        assertTrue(nodePod.startsWith("meshcap-node-"), nodePod);
        List<RecordedRequest> requests = cluster.requests();
        assertTrue(requests.stream().anyMatch(r -> r.getMethod().equals("DELETE")
                && r.getPath().equals("/api/v1/namespaces/shop/pods/" + nodePod)), "the node pod is deleted");
        assertEquals(List.of(), client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL).list()
                .getItems());
    }

    @Test
    void whenNoStrategyWorksEveryReasonAndFixIsListed() {
        cluster.create(MockCluster.targetPod().build());
        cluster.refuseEphemeralPatch(404, "NotFound", "the server could not find the requested resource");
        server.expect().post().withPath("/api/v1/namespaces/shop/pods")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("pods "
                        + "\"meshcap-node-x\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces "
                        + "(hostPID=true), privileged (container \"meshcap\" must not set securityContext.privileged=true)")
                        .build())
                .once();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.AUTO));

        String[] lines = e.getMessage().split("\n");
        assertEquals("no capture strategy works for pod shop/" + POD + ":", lines[0]);
        assertTrue(lines[1].startsWith("  exec: container istio-proxy"), lines[1]);
        assertTrue(lines[1].endsWith("use --strategy ephemeral or node"), lines[1]);
        assertEquals("  ephemeral: ephemeral containers are not supported by this cluster (the API has no "
                + "pods/ephemeralcontainers; they need Kubernetes 1.25+); use --strategy node", lines[2]);
        assertTrue(lines[3].startsWith("  node: Pod Security admission rejected: cannot create a privileged pod on "
                + "node worker-2 in namespace shop: policy baseline:latest forbids host namespaces"), lines[3]);
    }

    @Test
    void missingTcpdumpInTheDebugImageSaysToPassAnotherImageAndStillCleansUp() throws Exception {
        cluster.create(MockCluster.targetWithRunningDebugContainer());
        cluster.acceptEphemeralPatch(READS_BEFORE_PATCH);
        cluster.execMissing(POD, DEBUG, CaptureArgv.probe());
        cluster.execReturns(POD, DEBUG, CaptureArgv.release(), "", 0);

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EPHEMERAL));

        assertEquals("no tcpdump in shop/" + POD + " (container " + DEBUG + "); pass --image with an image that has "
                + "tcpdump, iptables and nft (default " + LaunchSettings.DEFAULT_IMAGE + ")", e.getMessage());
        assertEquals(CaptureArgv.release(), lastExec(cluster.requests()));
    }

    @Test
    void withExecForbiddenNoStrategyCreatesAnythingAndEachSaysWhichPermissionIsMissing() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        cluster.deny(new Permission("create", "pods", "exec", NAMESPACE));
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.AUTO));

        String[] lines = e.getMessage().split("\n");
        assertEquals(4, lines.length, e.getMessage());
        assertTrue(lines[1].startsWith("  exec: container istio-proxy of pod shop/" + POD + " is not privileged"),
                lines[1]);
        assertEquals("  ephemeral: forbidden: you may not create pods/exec in namespace shop (the API server's answer "
                + "to a SelfSubjectAccessReview, as kubectl auth can-i asks it), which --strategy ephemeral needs; "
                + "grant it (see examples/rbac.yaml, Role meshcap-ephemeral) or use --strategy node", lines[2]);
        assertEquals("  node: forbidden: you may not create pods/exec in namespace shop (the API server's answer to a "
                + "SelfSubjectAccessReview, as kubectl auth can-i asks it), which --strategy node needs; grant it (see "
                + "examples/rbac.yaml, Role meshcap-node) or use --strategy ephemeral", lines[3]);
        List<RecordedRequest> requests = cluster.requests();
        assertTrue(requests.stream().noneMatch(r -> r.getMethod().equals("PATCH")), "no ephemeral container was added");
        assertTrue(requests.stream().noneMatch(r -> r.getMethod().equals("POST")
                && r.getPath().startsWith("/api/v1/namespaces/")), "no pod was created");
        assertTrue(requests.stream().noneMatch(MockCluster::isExec), "nothing was run");
        assertEquals(1, client.pods().inNamespace(NAMESPACE).list().getItems().size());
    }

    @Test
    void aRefusedExecNamesThePermissionFromTheApisStatusNotAnUnreachableServer() {
        cluster.create(MockCluster.targetPod().editSpec().editLastContainer().editSecurityContext().withPrivileged(true)
                .endSecurityContext().endContainer().endSpec().build());
        // The authorizer refuses the websocket upgrade; the same request without it gets the Status as JSON.
        server.expect().get().withPath(MockCluster.execPath(POD, "istio-proxy", CaptureArgv.probe()))
                .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                        .withMessage("pods \"" + POD + "\" is forbidden: User \"bob\" cannot create resource "
                                + "\"pods/exec\" in API group \"\" in the namespace \"shop\"").build())
                .always();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EXEC));

        assertEquals("forbidden: cannot create pods/exec in namespace shop; grant it (see examples/rbac.yaml)",
                e.getMessage());
    }

    @Test
    void execStrategyNeedsAPrivilegedProxy() {
        cluster.create(MockCluster.targetPod().build());
        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EXEC));
        assertTrue(e.getMessage().contains("values.global.proxy.privileged=true"), e.getMessage());
    }

    @Test
    void podThatIsNotRunningIsRefusedBeforeAnythingIsCreated() throws Exception {
        cluster.create(MockCluster.targetPod().editStatus().withPhase("Pending").endStatus().build());
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.AUTO));

        assertEquals("pod shop/" + POD + " is Pending, not Running; captures need a running pod (kubectl get pod -n "
                + "shop " + POD + ")", e.getMessage());
        assertTrue(cluster.requests().stream().allMatch(r -> r.getMethod().equals("GET") && !MockCluster.isExec(r)));
    }

    @Test
    void factsAreCollectedInThePodAndBundledWithTheCommandsRun() throws Exception {
        ephemeralReady();
        CaptureArgv.facts().forEach((name, argv) -> {
            if (name.equals("nft-ruleset")) {
                cluster.execMissing(POD, DEBUG, argv);
            } else {
                cluster.execReturns(POD, DEBUG, argv, name.equals("ip_local_port_range") ? "20000\t40000\n"
                        : "# " + name + "\n", 0);
            }
        });

        Map<String, String> bundle;
        PodFacts facts;
        try (KubernetesCaptureSource source = open(Strategy.EPHEMERAL)) {
            facts = source.facts();
            bundle = source.bundle();
        }

        assertEquals("20000-40000", facts.ephemeralRange().orElseThrow().toString());
        assertEquals("# iptables-save\n", facts.outputs().get("iptables-save"));
        assertTrue(facts.outputs().get("nft-ruleset").startsWith("exit 127: exec: \"nft\": executable file not found"));
        assertEquals("# iptables-save\n", bundle.get("iptables-save.txt"));
        // Every line from the pod MockCluster.targetPod() writes out: its metadata, the version in the proxy's image
        // tag, the proxy's runAsUser, the container captured (the proxy, by default), its TCP port, Istio's
        // annotations by name (not kubectl's), then the strategy and the run.
        assertEquals("""
                namespace: shop
                pod: reviews-v1-7d9c
                node: worker-2
                pod-ips: 10.244.1.17,fd00:10:244:1::11
                istio-version: 1.24.2
                proxy-uid: 1337
                interception-mode: REDIRECT
                phase: Running
                container: istio-proxy (docker.io/istio/proxyv2:1.24.2)
                proxy: istio-proxy (docker.io/istio/proxyv2:1.24.2)
                app-ports: 9080
                annotation sidecar.istio.io/interceptionMode: REDIRECT
                annotation traffic.sidecar.istio.io/excludeInboundPorts: 22
                strategy: ephemeral
                run: t3st01 (meshcap cleanup --run t3st01)
                """, bundle.get("pod.txt"));
        assertTrue(bundle.get("commands.txt").contains("shop/" + POD + " (container " + DEBUG + "): ss -Htlnupe\n"),
                bundle.get("commands.txt"));
    }

    @Test
    void closeRunsOnce() throws Exception {
        ephemeralReady();
        KubernetesCaptureSource source = open(Strategy.EPHEMERAL);
        source.close();
        source.close();
        long releases = cluster.requests().stream().filter(MockCluster::isExec).map(MockCluster::commandOf)
                .filter(CaptureArgv.release()::equals).count();
        assertEquals(1, releases);
    }

    @Test
    void closingWhileALegRunsStopsItsTcpdumpBeforeRemovingTheHelper() throws Exception {
        ephemeralReady();
        LegPlan leg = leg("tcp");
        List<Integer> ends = PcapFiles.recordEnds(pcap);
        cluster.exec(POD, DEBUG, CaptureArgv.capture(leg))
                .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\n"))
                .waitFor(5).andEmit(stdout(Arrays.copyOfRange(pcap, 0, ends.get(0))))
                .waitFor(5).andEmit(MockCluster.stdoutAfter(STOPPED_AFTER_MS, Arrays.copyOfRange(pcap, ends.get(0), ends.get(1))))
                .waitFor(5).andEmit(MockCluster.successAfter(STOPPED_AFTER_MS + 10))
                .done().once();
        cluster.execReturns(POD, DEBUG, CaptureArgv.stop(TCPDUMP_PID), "", 0);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();

        KubernetesCaptureSource source = open(Strategy.EPHEMERAL);
        LegCapture capture = source.start(leg, sink);
        waitForBytes(sink, ends.get(0));
        source.close(); // what the end of a capture does, Ctrl-C included

        assertEquals(0, capture.await(WAIT).exitCode());
        List<List<String>> execs = cluster.requests().stream().filter(MockCluster::isExec).map(MockCluster::commandOf)
                .toList();
        assertEquals(List.of(CaptureArgv.stop(TCPDUMP_PID), CaptureArgv.release()), execs.subList(execs.size() - 2,
                execs.size()), "tcpdump is stopped first, then the debug container");
        assertThrows(IllegalStateException.class, () -> source.start(leg, sink));
    }

    @Test
    void privilegedProxyWithTcpdumpIsUsedByAutoWithoutCreatingAnything() throws Exception {
        cluster.create(MockCluster.targetPod().editSpec().editLastContainer().editSecurityContext().withPrivileged(true)
                .endSecurityContext().endContainer().endSpec().build());
        cluster.execReturns(POD, "istio-proxy", CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.requests();

        try (KubernetesCaptureSource source = open(Strategy.AUTO)) {
            assertEquals(Strategy.EXEC, source.strategy());
            assertEquals(List.of(), source.attempts());
        }

        assertTrue(cluster.requests().stream().noneMatch(MockCluster::changesSomething),
                "exec creates, patches and deletes nothing");
    }

    @Test
    void thePlanNamesTheExactExecAndWithoutDecryptThereAreNoKeys() throws Exception {
        cluster.create(MockCluster.privilegedProxyPod().build());
        cluster.tcpdumpIn(POD, "istio-proxy");

        try (KubernetesCaptureSource source = open(Strategy.EXEC)) {
            // As a shell would take it: ExpectedArgv.capture("lo", "tcp port 9080"), quoted where it must be.
            assertEquals("exec in shop/" + POD + " (container istio-proxy): sh -c 'echo \"meshcap-pid $$\" >&2; exec"
                    + " \"$@\"' meshcap tcpdump --immediate-mode -U -n -B 8192 -w - -i lo -s 262144 'tcp port 9080'",
                    source.describeCapture(leg("tcp port 9080")));
            assertEquals(MockCluster.RUN_ID, source.runId());
            assertEquals(Optional.empty(), source.keyLoggingSince());
            assertTrue(source.loggedKeys().isEmpty());
            assertEquals(List.of(), source.keyFeeds());
        }
    }

    @Test
    void privilegedDistrolessProxyHasNoTcpdump() {
        cluster.create(MockCluster.targetPod().editSpec().editLastContainer().withImage("istio/proxyv2:1.24.2-distroless")
                .editSecurityContext().withPrivileged(true).endSecurityContext().endContainer().endSpec().build());
        cluster.execMissing(POD, "istio-proxy", CaptureArgv.probe());

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EXEC));

        assertEquals("no tcpdump in shop/" + POD + " (container istio-proxy); its image istio/proxyv2:1.24.2-distroless "
                + "does not ship it (Istio's distroless images never do); use --strategy ephemeral or node", e.getMessage());
    }

    @Test
    void debugImageThatCannotBePulledFailsFastWithTheReason() {
        cluster.create(MockCluster.targetPod().editStatus().addNewEphemeralContainerStatus().withName(DEBUG)
                .withNewState().withNewWaiting().withReason("ImagePullBackOff")
                .withMessage("Back-off pulling image \"nicolaka/netshoot:v0.13\"").endWaiting().endState()
                .endEphemeralContainerStatus().endStatus().build());
        cluster.acceptEphemeralPatch(READS_BEFORE_PATCH);

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EPHEMERAL));

        assertEquals("helper container " + DEBUG + " in pod shop/" + POD + " cannot start: ImagePullBackOff (Back-off "
                + "pulling image \"nicolaka/netshoot:v0.13\"); check that the node can pull nicolaka/netshoot:v0.13, or "
                + "pass --image with a reachable copy", e.getMessage());
    }

    @Test
    void nodePodThatCannotFindTheContainersProcessIsDeletedAndSaysSo() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        Kubelet kubelet = new Kubelet(name -> {
            cluster.execReturns(name, NodePodSpec.CONTAINER, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
            cluster.exec(name, NodePodSpec.CONTAINER, CaptureArgv.findPid(MockCluster.PROXY_ID))
                    .andEmit(stderr("no process of container " + MockCluster.PROXY_ID + " on this node\n"))
                    .waitFor(5).andEmit(new StatusStreamMessage(1))
                    .done().once();
        });
        kubelet.start();

        MeshcapException e;
        try {
            e = assertThrows(MeshcapException.class, () -> open(Strategy.NODE));
        } finally {
            kubelet.interrupt();
        }

        assertEquals("could not find a process of container istio-proxy on node worker-2 (no process of container "
                + MockCluster.PROXY_ID + " on this node); use --strategy ephemeral", e.getMessage());
        assertTrue(cluster.requests().stream().anyMatch(r -> r.getMethod().equals("DELETE")
                && r.getPath().endsWith("/pods/" + kubelet.nodePod)), "the node pod is deleted");
    }

    private static List<String> lastExec(List<RecordedRequest> requests) {
        List<RecordedRequest> execs = requests.stream().filter(MockCluster::isExec).toList();
        return MockCluster.commandOf(execs.get(execs.size() - 1));
    }

    private static void waitForBytes(ByteArrayOutputStream sink, int count) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (sink.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /**
     * Plays the kubelet for meshcap's node pod: once it is created, scripts its execs (now that its generated
     * name is known) and marks its container running.
     */
    private final class Kubelet extends Thread {
        private final Consumer<String> scriptExecs;
        volatile String nodePod;

        Kubelet(Consumer<String> scriptExecs) {
            super("test-kubelet");
            setDaemon(true);
            this.scriptExecs = scriptExecs;
        }

        @Override
        public void run() {
            try {
                while (!isInterrupted()) {
                    List<Pod> pods = client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL)
                            .list().getItems();
                    if (!pods.isEmpty()) {
                        Pod pod = pods.get(0);
                        nodePod = pod.getMetadata().getName();
                        scriptExecs.accept(nodePod);
                        pod.setStatus(new PodStatusBuilder().withPhase("Running")
                                .addToContainerStatuses(MockCluster.running(NodePodSpec.CONTAINER, "containerd://ff"))
                                .build());
                        client.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();
                        return;
                    }
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
