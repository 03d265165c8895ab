package io.meshcap.capture.k8s;

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

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.meshcap.MeshcapException;
import io.meshcap.capture.LegCapture.LegOutcome;
import io.meshcap.capture.StopSignal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One leg whose tcpdump runs in a pod, as the exec stream the API server sends for it (fabric8's mock server):
 * when it counts as listening, what its end says (tcpdump's own words, its drop count, a lost stream, a missing
 * tcpdump, a sink that refused the bytes) and how it is stopped (SIGINT by the PID the wrapper announced, or the
 * stream closed), judged by the mock's request log and the bytes the sink received.
 */
@EnableKubernetesMockClient(crud = true)
class PodLegCaptureTest {

    private static final String PROXY = "istio-proxy";
    private static final String LABEL = "shop/reviews-v1-7d9c:eth0 inbound-mtls";
    private static final List<String> CAPTURE = ExpectedArgv.capture("eth0", "tcp port 9080");
    private static final long PID = 9001;
    private static final String PID_LINE = "meshcap-pid " + PID + "\n";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] HEAD = "first packets".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = ", the rest".getBytes(StandardCharsets.US_ASCII);
    /**
     * When the mock sends the last frames of a stream that runs on (each frame's delay counts from the exec's start):
     * long enough that the test has stopped the leg before, even on a busy machine. The mock answers a close of the
     * stream only once it has sent them.
     */
    private static final long RUNS_MS = 1500;

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private PodExec exec;
    private final ExecTarget target = new ExecTarget(NAMESPACE, POD, PROXY, List.of());

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
        cluster.create(MockCluster.targetPod().build());
        exec = new PodExec(client, StopSignal.manual());
    }

    private RemoteProcess start(OutputStream sink) {
        return exec.start(target, CAPTURE, sink);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    /** The commands run in the pod since the last look. */
    private List<List<String>> execs() throws InterruptedException {
        return cluster.requests().stream().filter(MockCluster::isExec).map(MockCluster::commandOf).toList();
    }

    /** The commands run in the pod after the capture itself. */
    private List<List<String>> execsAfterTheCapture() throws InterruptedException {
        List<List<String>> execs = execs();
        assertEquals(CAPTURE, execs.get(0));
        return execs.subList(1, execs.size());
    }

    @Test
    void aLegListensOnlyOnceTcpdumpSaysSoAndIsStoppedBySigintToTheAnnouncedPidKeepingWhatItFlushes()
            throws Exception {
        cluster.exec(POD, PROXY, CAPTURE)
                .andEmit(stderr(PID_LINE))
                .waitFor(5).andEmit(stdout(HEAD))
                .waitFor(5).andEmit(MockCluster.stderrAfter(300, "tcpdump: listening on eth0, link-type EN10MB\n"))
                // tcpdump's flush after SIGINT: the rest, its counts, exit 0.
                .waitFor(5).andEmit(MockCluster.stdoutAfter(RUNS_MS, TAIL))
                .waitFor(5).andEmit(MockCluster.stderrAfter(RUNS_MS + 5, "2 packets captured\n2 packets received by "
                        + "filter\n12 packets dropped by kernel\n"))
                .waitFor(5).andEmit(MockCluster.successAfter(RUNS_MS + 10))
                .done().once();
        cluster.execReturns(POD, PROXY, ExpectedArgv.stop(PID), "", 0);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        RemoteProcess process = start(sink);
        PodLegCapture leg = new PodLegCapture(exec, target, process, LABEL);

        await(leg::listening, "tcpdump said it listens");
        await(() -> sink.size() == HEAD.length, "the first packets arrived");
        leg.stop();
        leg.stop();
        LegOutcome outcome = leg.await(WAIT);

        assertEquals(new LegOutcome(0, 12, ""), outcome);
        assertArrayEquals((new String(HEAD, StandardCharsets.US_ASCII) + new String(TAIL, StandardCharsets.US_ASCII))
                .getBytes(StandardCharsets.US_ASCII), sink.toByteArray(), "what tcpdump flushed after SIGINT is kept");
        assertEquals(List.of(List.of("kill", "-INT", "9001")), execsAfterTheCapture(), "SIGINT once, to the PID");
        leg.stop();
        assertEquals(List.of(), execs(), "a leg that ended is not signalled");
    }

    @Test
    void aLegWhosePidWasNotAnnouncedYetIsStoppedByClosingItsStream() throws Exception {
        // A wrapper whose PID line never came (its shell still starting): no exit status either, until closed.
        cluster.exec(POD, PROXY, CAPTURE).andEmit(MockCluster.stderrAfter(RUNS_MS, "sh: warning\n")).done().once();
        RemoteProcess process = start(new ByteArrayOutputStream());
        PodLegCapture leg = new PodLegCapture(exec, target, process, LABEL);

        assertFalse(leg.listening());
        assertEquals(null, leg.await(Duration.ZERO), "still running");
        leg.stop();

        assertEquals(RemoteProcess.NO_EXIT_STATUS, leg.await(WAIT).exitCode(), "the stream was closed");
        assertEquals(List.of(), execsAfterTheCapture(), "no PID, nothing to signal");
    }

    @Test
    void aSigintThatCannotBeSentClosesTheStreamAtOnce() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE).andEmit(stderr(PID_LINE))
                .waitFor(5).andEmit(MockCluster.stderrAfter(RUNS_MS, "tcpdump: listening on eth0\n")).done().once();
        server.expect().get().withPath(MockCluster.execPath(POD, PROXY, ExpectedArgv.stop(PID)))
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("pods \"" + POD
                        + "\" is forbidden: User \"bob\" cannot create resource \"pods/exec\" in API group \"\" in the "
                        + "namespace \"shop\"").build()).always();
        RemoteProcess process = start(new ByteArrayOutputStream());
        PodLegCapture leg = new PodLegCapture(exec, target, process, LABEL);
        await(() -> process.stderr().contains("meshcap-pid"), "the wrapper announced the PID");

        leg.stop();

        assertEquals(RemoteProcess.NO_EXIT_STATUS, leg.await(WAIT).exitCode(), "the stream was closed");
        // The refused exec, then the plain request on its URL that reads the API's reason (ApiFailures.explainExec).
        assertEquals(List.of(List.of("kill", "-INT", "9001"), List.of("kill", "-INT", "9001")), execsAfterTheCapture());
    }

    @Test
    void aSigintTcpdumpSurvivesIsFollowedByClosingTheStream() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE).andEmit(stderr(PID_LINE))
                .waitFor(5).andEmit(MockCluster.stderrAfter(RUNS_MS, "tcpdump: listening on eth0\n")).done().once();
        cluster.execReturns(POD, PROXY, ExpectedArgv.stop(PID), "", 1);
        RemoteProcess process = start(new ByteArrayOutputStream());
        PodLegCapture leg = new PodLegCapture(exec, target, process, LABEL);
        await(() -> process.stderr().contains("meshcap-pid"), "the wrapper announced the PID");

        leg.stop();

        assertEquals(RemoteProcess.NO_EXIT_STATUS, leg.await(WAIT).exitCode(), "kill failed: the stream was closed");
        assertEquals(List.of(List.of("kill", "-INT", "9001")), execsAfterTheCapture());
    }

    @Test
    void tcpdumpEndingBeforeItListensFailsTheLegInItsOwnWords() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE)
                .andEmit(stderr(PID_LINE + "tcpdump: eth9: No such device exists\n(SIOCGIFHWADDR: No such device)\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        RemoteProcess process = start(new ByteArrayOutputStream());
        PodLegCapture leg = new PodLegCapture(exec, target, process, LABEL);
        await(process::finished, "tcpdump ended");

        MeshcapException e = assertThrows(MeshcapException.class, leg::listening);

        assertEquals("leg " + LABEL + ": tcpdump ended before it was listening (exit 1): tcpdump: eth9: No such device"
                + " exists\n(SIOCGIFHWADDR: No such device)", e.getMessage());
        assertEquals(new LegOutcome(1, -1, "leg " + LABEL + ": tcpdump exited 1: tcpdump: eth9: No such device exists"
                + "\n(SIOCGIFHWADDR: No such device)"), leg.await(WAIT), "no counts: drops unknown");
        leg.stop();
        assertEquals(List.of(), execsAfterTheCapture(), "a leg that ended is not signalled");
    }

    @Test
    void aContainerWithoutTcpdumpIsNamed() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE)
                .andEmit(stderr("exec: \"sh\": executable file not found in $PATH\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(CommandResult.NOT_FOUND)).done().once();
        PodLegCapture leg = new PodLegCapture(exec, target, start(new ByteArrayOutputStream()), LABEL);

        assertEquals(new LegOutcome(127, -1, "leg " + LABEL + ": no tcpdump in shop/reviews-v1-7d9c (container "
                + "istio-proxy) (exec: \"sh\": executable file not found in $PATH)"), leg.await(WAIT));
    }

    @Test
    void aStreamThatEndsWithoutAnExitStatusKeepsItsPacketsAndSaysTheConnectionWasLost() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE).andEmit(stderr(PID_LINE + "tcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(MockCluster.stdoutThenHangUp(HEAD)).done().once();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PodLegCapture leg = new PodLegCapture(exec, target, start(sink), LABEL);

        assertEquals(new LegOutcome(RemoteProcess.NO_EXIT_STATUS, -1, "leg " + LABEL + ": the exec stream from "
                + "shop/reviews-v1-7d9c (container istio-proxy) ended without an exit status (connection to the API "
                + "server lost?); the packets received until then are kept"), leg.await(WAIT));
        assertArrayEquals(HEAD, sink.toByteArray());
    }

    @Test
    void aSinkThatRefusesTheBytesFailsTheLegWithItsReason() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE).andEmit(stderr(PID_LINE + "tcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(stdout(HEAD))
                .waitFor(5).andEmit(MockCluster.stderrAfter(5, "1 packet captured\n1 packet dropped by kernel\n"))
                .waitFor(5).andEmit(MockCluster.successAfter(5)).done().once();
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        PodLegCapture leg = new PodLegCapture(exec, target, start(full), LABEL);

        LegOutcome outcome = leg.await(WAIT);

        assertNotNull(outcome);
        assertEquals("leg " + LABEL + ": writing the capture failed: No space left on device", outcome.message());
    }

    @Test
    void oneDroppedPacketIsCountedInTcpdumpsSingular() throws Exception {
        cluster.exec(POD, PROXY, CAPTURE).andEmit(stderr(PID_LINE + "tcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(MockCluster.stderrAfter(5, "1 packet captured\n3 packets received by filter\n"
                        + "1 packet dropped by kernel\n"))
                .waitFor(5).andEmit(MockCluster.successAfter(5)).done().once();
        PodLegCapture leg = new PodLegCapture(exec, target, start(new ByteArrayOutputStream()), LABEL);

        assertEquals(new LegOutcome(0, 1, ""), leg.await(WAIT));
    }
}
