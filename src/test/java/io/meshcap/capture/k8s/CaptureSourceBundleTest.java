package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.DEBUG;
import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The metadata bundle a pod's capture writes beside the pcap, against the mock API server: {@code pod.txt} written
 * out whole from the pod the test created (what the API said, the strategy used and the ones that did not work, what
 * was assumed), {@code commands.txt} as the request log saw the commands, and the in-pod facts when a command is
 * refused or the capture is stopped while they are read.
 */
class CaptureSourceBundleTest extends AgainstMockCluster {

    private final List<String> notes = new ArrayList<>();
    private final StopSignal stop = StopSignal.manual();

    private KubernetesCaptureSource open(Strategy strategy) {
        ClusterRun run = new ClusterRun(client, LaunchSettings.of(strategy).withRunId(MockCluster.RUN_ID)
                .withReadyTimeout(Duration.ofSeconds(10)), notes::add, stop);
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        return KubernetesCaptureSource.open(run, pod, Optional.empty());
    }

    /**
     * The target as an older injector leaves it, no interception annotation and no runAsUser, with meshcap's debug
     * container already running; the container is added by the patch.
     */
    private void olderInjectorsPodWithDebugContainer() {
        Pod pod = MockCluster.targetWithRunningDebugContainer();
        pod.getMetadata().getAnnotations().remove("sidecar.istio.io/interceptionMode");
        pod.getSpec().getContainers().get(1).getSecurityContext().setRunAsUser(null);
        cluster.create(pod);
        server.expect().patch().withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD + "/ephemeralcontainers")
                .andReturn(200, pod).once();
        cluster.tcpdumpIn(POD, DEBUG);
        cluster.execReturns(POD, DEBUG, ExpectedArgv.release(), "", 0);
    }

    @Test
    void podTxtNamesTheStrategyUsedTheOneThatDidNotWorkAndWhatWasAssumed() throws Exception {
        olderInjectorsPodWithDebugContainer();
        cluster.factsReturn(POD, DEBUG, Map.of());

        Map<String, String> bundle;
        try (KubernetesCaptureSource source = open(Strategy.AUTO)) {
            bundle = source.bundle();
        }

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
                annotation traffic.sidecar.istio.io/excludeInboundPorts: 22
                strategy: ephemeral
                run: t3st01 (meshcap cleanup --run t3st01)
                strategy not used: exec: container istio-proxy of pod shop/reviews-v1-7d9c is not privileged, so tcpdump \
                cannot capture in it (Istio runs the proxy privileged only with values.global.proxy.privileged=true); use \
                --strategy ephemeral or node
                assumed: istio-proxy sets no runAsUser: assuming proxy uid 1337
                assumed: no sidecar.istio.io/interceptionMode annotation: assuming Istio's default REDIRECT (the pod's \
                iptables rules, collected in-pod, say for sure)
                """, bundle.get("pod.txt"));
    }

    @Test
    void aPrivilegedProxyIsSaidSoAndEveryCommandRunIsListedInOrder() throws Exception {
        cluster.create(MockCluster.privilegedProxyPod().build());
        cluster.tcpdumpIn(POD, PROXY);
        cluster.factsReturn(POD, PROXY, Map.of());

        Map<String, String> bundle;
        try (KubernetesCaptureSource source = open(Strategy.EXEC)) {
            bundle = source.bundle();
        }

        assertEquals("proxy: istio-proxy (docker.io/istio/proxyv2:1.24.2, privileged)", bundle.get("pod.txt").lines()
                .filter(line -> line.startsWith("proxy: ")).findFirst().orElseThrow());
        List<String> sent = new ArrayList<>();
        cluster.requests().stream().filter(MockCluster::isExec).map(MockCluster::commandOf)
                .forEach(argv -> sent.add("shop/" + POD + " (container istio-proxy): " + String.join(" ", argv)));
        assertEquals(String.join("\n", sent) + "\n", bundle.get("commands.txt"));
        assertEquals("shop/" + POD + " (container istio-proxy): tcpdump --version", sent.get(0));
    }

    @Test
    void aFactCommandTheApiRefusesIsRecordedAsFailedWithTheReason() throws Exception {
        cluster.create(MockCluster.privilegedProxyPod().build());
        cluster.tcpdumpIn(POD, PROXY);
        CaptureArgv.facts().forEach((name, argv) -> {
            if (name.equals("listening-sockets")) {
                server.expect().get().withPath(MockCluster.execPath(POD, PROXY, argv))
                        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                                .withMessage("pods \"" + POD + "\" is forbidden: User \"bob\" cannot create resource "
                                        + "\"pods/exec\" in API group \"\" in the namespace \"shop\"").build())
                        .always();
            } else {
                cluster.execReturns(POD, PROXY, argv, "# " + name + "\n", 0);
            }
        });

        PodFacts facts;
        try (KubernetesCaptureSource source = open(Strategy.EXEC)) {
            facts = source.facts();
        }

        assertEquals("failed: forbidden: cannot create pods/exec in namespace shop; grant it (see examples/rbac.yaml)",
                facts.outputs().get("listening-sockets"));
        assertEquals(Set.of("listening-sockets"), facts.failed());
        assertEquals("# iptables-save\n", facts.outputs().get("iptables-save"));
    }

    @Test
    void aStopWhileTheFactsAreReadKeepsNoneOfThem() throws Exception {
        cluster.create(MockCluster.privilegedProxyPod().build());
        cluster.tcpdumpIn(POD, PROXY);

        try (KubernetesCaptureSource source = open(Strategy.EXEC)) {
            stop.requestStop();
            cluster.requests();

            MeshcapException e = assertThrows(MeshcapException.class, source::facts);

            assertEquals("stopped while reading the rules and sockets of pod shop/" + POD, e.getMessage());
            assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::isExec).toList());
        }
    }

    @Test
    void keyLoggingCannotStartOnAClosedSource() {
        cluster.create(MockCluster.privilegedProxyPod().build());
        cluster.tcpdumpIn(POD, PROXY);
        KubernetesCaptureSource source = open(Strategy.EXEC);
        source.close();

        IllegalStateException e = assertThrows(IllegalStateException.class, source::startKeyLogging);

        assertEquals("source for pod shop/" + POD + " is closed", e.getMessage());
    }
}
