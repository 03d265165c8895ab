package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static io.meshcap.capture.k8s.MockCluster.stdout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.release.ReleaseArchive;
import io.meshcap.release.ReleaseArchive.Installed;
import io.meshcap.release.ReleaseArchive.Run;
import io.meshcap.testing.Tshark;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl meshcap capture --pod} with the released plugin, installed as krew installs it, against fabric8's
 * mock API server over TLS: the runtime image has what the JDK HTTP client, its websockets (exec) and JSSE need,
 * and nothing but that runtime is used on this side.
 */
@EnableKubernetesMockClient(crud = true, https = true)
class ReleasedPluginCaptureIT {

    private static final String PROXY = "istio-proxy";
    private static final Map<String, String> FACTS = Map.of(PodFacts.PORT_RANGE, "20000\t29999\n");

    /** Installed once for both tests: unpacking and the first run's class-data archive take a while. */
    @TempDir
    static Path krew;
    private static Installed plugin;

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;

    @BeforeAll
    static void install() throws Exception {
        plugin = ReleaseArchive.installLinux(krew);
    }

    @Test
    void capturesALegOfAPodThroughTheReleasedPlugin() throws Exception {
        Run capture = captureThroughThePlugin(Map.of());

        assertFalse(capture.err().contains("libpcap"), capture.toString());
    }

    @Test
    void withoutLibpcapHereTheFiltersAreLeftToTcpdumpInThePod() throws Exception {
        // pcap4j loads the library named by this property: a name that does not exist is a machine without libpcap.
        Run capture = captureThroughThePlugin(Map.of("MESHCAP_JAVA_OPTS", "-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so"));

        assertTrue(capture.err().contains("meshcap: note: libpcap is not installed here, so tcpdump in the pod checks"
                + " the filters"), capture.toString());
    }

    /** Plans (--print-plan), then captures one leg of the mock pod with the installed plugin, and checks the file. */
    private Run captureThroughThePlugin(Map<String, String> environment) throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        cluster.create(MockCluster.targetPod().editSpec().editLastContainer().editSecurityContext().withPrivileged(true)
                .endSecurityContext().endContainer().endSpec().build());
        Path kubeconfig = cluster.kubeconfig(temp);

        cluster.execReturns(POD, PROXY, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.factsReturn(POD, PROXY, FACTS);
        Run plan = plugin.run(environment, "capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "--print-plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        String filter = plan.out().lines().filter(l -> l.strip().startsWith("filter:")).findFirst().orElseThrow()
                .strip().substring("filter:".length()).strip();
        assertTrue(filter.contains("dst host (10.244.1.17 or fd00:10:244:1::11) and dst port 9080"), plan.toString());

        cluster.execReturns(POD, PROXY, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.factsReturn(POD, PROXY, FACTS);
        LegPlan leg = new LegPlan(NAMESPACE + "/" + POD, "eth0", "inbound-mtls", filter, false, CaptureLimits.none(), Map.of());
        cluster.exec(POD, PROXY, CaptureArgv.capture(leg))
                .andEmit(stderr("meshcap-pid 9001\ntcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(stdout(MockCluster.resource(PcapFiles.LO_SMALL)))
                .waitFor(5).andEmit(stderr("20 packets captured\n20 packets received by filter\n0 packets dropped by kernel\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(0))
                .done().once();
        Path out = temp.resolve("pod.pcapng");
        Run capture = plugin.run(environment, "capture", "inbound-mtls", "--pod", POD, "--kubeconfig",
                kubeconfig.toString(), "-o", out.toString(), "--duration", "20s");

        assertEquals(0, capture.exitCode(), capture.toString());
        assertEquals("", capture.out());
        assertEquals(20, Tshark.count(out));
        assertEquals(List.of(List.of(POD + "/eth0:inbound-mtls")),
                Tshark.fields(out, "frame.number == 1", "frame.interface_name"));
        return capture;
    }
}
