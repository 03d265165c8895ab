package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.cli.CliRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pod's legs are announced as capturing only once tcpdump in the pod says it listens, and a tcpdump that ends
 * before it listens ends the capture at once with its own words.
 */
@EnableKubernetesMockClient(crud = true)
class LegStartInPodTest {

    private static final String PROXY = "istio-proxy";
    private static final String FILTER = "tcp port 9080";
    private static final String COUNTS = "20 packets captured\n20 packets received by filter\n0 packets dropped by kernel\n";
    /** How long the pod's tcpdump takes to say it listens: longer than the exec takes to start. */
    private static final long SLOW_START_MS = 1500;

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;

    private MockCluster cluster;
    private Path kubeconfig;
    private LegPlan leg;

    @BeforeEach
    void setUp() throws IOException {
        cluster = new MockCluster(server, client);
        cluster.create(MockCluster.targetPod().editSpec().editLastContainer().editSecurityContext().withPrivileged(true)
                .endSecurityContext().endContainer().endSpec().build());
        kubeconfig = cluster.kubeconfig(temp);
        cluster.execReturns(POD, PROXY, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.factsReturn(POD, PROXY, Map.of());
        leg = new LegPlan(NAMESPACE + "/" + POD, "eth0", "inbound-mtls", FILTER, false, CaptureLimits.none(), Map.of());
    }

    private CliRun capture() {
        return CliRun.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "--extra-filter", "tcp", "-p", "9080", "--pod-ip", "10.244.1.17", "-o",
                temp.resolve("pod.pcapng").toString(), "--duration", "20s");
    }

    @Test
    void capturingIsSaidOnlyOnceTcpdumpInThePodListens() {
        cluster.exec(POD, PROXY, CaptureArgv.capture(planned()))
                .andEmit(stderr("meshcap-pid 9001\n"))
                // The mock times each frame from the start of the exec, so the later frames come later still.
                .waitFor(5).andEmit(MockCluster.stderrAfter(SLOW_START_MS, "tcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(MockCluster.stdoutAfter(SLOW_START_MS + 5, MockCluster.resource(PcapFiles.LO_SMALL)))
                .waitFor(5).andEmit(MockCluster.stderrAfter(SLOW_START_MS + 10, COUNTS))
                .waitFor(5).andEmit(MockCluster.successAfter(SLOW_START_MS + 15))
                .done().once();

        CliRun run = capture();

        assertEquals(0, run.exitCode(), run.toString());
        int listening = run.err().indexOf(" listening: " + POD + "/eth0:inbound-mtls on eth0, filter ");
        assertTrue(listening > 0, run.err());
        assertTrue(run.err().indexOf("meshcap: capturing 1 leg(s) for 20 s") > listening, run.err());
    }

    @Test
    void aTcpdumpThatEndsBeforeItListensEndsTheCaptureWithItsOwnWords() {
        cluster.exec(POD, PROXY, CaptureArgv.capture(planned()))
                .andEmit(stderr("meshcap-pid 9001\ntcpdump: eth0: No such device exists\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1))
                .done().once();

        CliRun run = capture();

        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("leg " + POD + "/eth0:inbound-mtls: tcpdump ended before it was listening (exit 1): tcpdump: eth0:"
                + " No such device exists"), run.err());
        assertFalse(run.err().contains("meshcap: capturing"), "nothing was announced: " + run.err());
    }

    /** The leg as capture() plans it: the filter flags are given, so the argv does not depend on discovery. */
    private LegPlan planned() {
        CliRun plan = CliRun.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "--extra-filter", "tcp", "-p", "9080", "--pod-ip", "10.244.1.17", "--print-plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        String filter = plan.out().lines().filter(l -> l.strip().startsWith("filter:")).findFirst().orElseThrow()
                .strip().substring("filter:".length()).strip();
        cluster.execReturns(POD, PROXY, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.factsReturn(POD, PROXY, Map.of());
        return new LegPlan(leg.target(), leg.interfaceName(), leg.preset(), filter, false, leg.limits(), Map.of());
    }
}
