package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.MeshcapException;
import io.meshcap.net.Addresses;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class PodDiscoveryTest {

    KubernetesMockServer server;
    KubernetesClient client;
    private MockCluster cluster;
    private PodDiscovery discovery;

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
        discovery = new PodDiscovery(client);
    }

    @Test
    void describesEverythingFiltersAndStrategiesNeed() {
        cluster.create(MockCluster.targetPod().build());

        PodInfo pod = discovery.get(new PodRef(NAMESPACE, POD));

        assertEquals(NAMESPACE, pod.namespace());
        assertEquals(POD, pod.name());
        assertEquals("worker-2", pod.node());
        assertTrue(pod.running());
        assertEquals(List.of("10.244.1.17", "fd00:10:244:1::11"), pod.ips().stream().map(Addresses::format).toList());
        assertEquals(List.of("reviews", "istio-proxy"), pod.containers().stream().map(ContainerInfo::name).toList());
        assertEquals(List.of(9080), pod.appPorts());
        ProxyInfo proxy = pod.proxy().orElseThrow();
        assertEquals("1.24.2", proxy.version());
        assertEquals(1337, proxy.uid());
        assertFalse(proxy.uidAssumed());
        assertFalse(proxy.privileged());
        assertEquals(Map.of("sidecar.istio.io/interceptionMode", "REDIRECT",
                "traffic.sidecar.istio.io/excludeInboundPorts", "22"), pod.istioAnnotations());
        assertEquals("REDIRECT", pod.interceptionMode());
        assertEquals(MockCluster.PROXY_ID, pod.container(Optional.empty()).containerId());
        assertEquals(List.of(), pod.assumptions());
    }

    @Test
    void nativeSidecarProxyWithoutRunAsUserIsFoundAndTheUidAssumptionSaid() {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName("ratings-v1-1").withNamespace(NAMESPACE).endMetadata()
                .withNewSpec()
                    .addNewInitContainer().withName("istio-proxy").withImage("gcr.io/istio-release/proxyv2:1.26.0-distroless")
                        .withRestartPolicy("Always").endInitContainer()
                    .addNewInitContainer().withName("istio-init").withImage("gcr.io/istio-release/proxyv2:1.26.0")
                        .endInitContainer()
                    .addNewContainer().withName("ratings").withImage("ratings:1")
                        .addNewPort().withContainerPort(9080).endPort().endContainer()
                .endSpec()
                .withNewStatus().withPhase("Pending").endStatus()
                .build();

        PodInfo info = PodDiscovery.describe(pod);

        assertEquals(List.of("ratings", "istio-proxy"), info.containers().stream().map(ContainerInfo::name).toList());
        assertEquals("1.26.0-distroless", info.proxy().orElseThrow().version());
        assertEquals(ProxyInfo.DEFAULT_UID, info.proxy().orElseThrow().uid());
        assertTrue(info.proxy().orElseThrow().uidAssumed());
        assertEquals(2, info.assumptions().size(), info.assumptions().toString());
        assertEquals("istio-proxy", info.container(Optional.empty()).name());
        assertFalse(info.running());
    }

    @Test
    void imageTagsWithRegistryPortsAndDigests() {
        assertEquals("1.22.3", PodDiscovery.imageTag("registry.local:5000/istio/proxyv2:1.22.3@sha256:abc"));
        assertEquals("unknown", PodDiscovery.imageTag("registry.local:5000/istio/proxyv2"));
    }

    @Test
    void missingPodSaysHowToList() {
        MeshcapException e = assertThrows(MeshcapException.class, () -> discovery.get(new PodRef(NAMESPACE, "nope")));
        assertEquals("pod shop/nope not found; list the pods with: kubectl get pods -n shop", e.getMessage());
    }

    @Test
    void unknownContainerListsTheOnesThereAre() {
        PodInfo pod = PodDiscovery.describe(MockCluster.targetPod().build());
        MeshcapException e = assertThrows(MeshcapException.class, () -> pod.container(Optional.of("envoy")));
        assertEquals("container 'envoy' not found in pod shop/reviews-v1-7d9c; it has: reviews, istio-proxy "
                + "(pick one with --container)", e.getMessage());
    }

    @Test
    void selectorFindsEveryMatchingPodByName() {
        cluster.create(MockCluster.targetPod().editMetadata().withName("reviews-v2-b").endMetadata().build());
        cluster.create(MockCluster.targetPod().editMetadata().withName("reviews-v1-a").endMetadata().build());
        cluster.create(MockCluster.targetPod().editMetadata().withName("ratings-v1-c").withLabels(Map.of("app", "ratings"))
                .endMetadata().build());

        List<PodInfo> pods = discovery.select(NAMESPACE, "app=reviews");

        assertEquals(List.of("reviews-v1-a", "reviews-v2-b"), pods.stream().map(PodInfo::name).toList());
    }

    @Test
    void selectorMatchingNothingSaysHowToCheck() {
        MeshcapException e = assertThrows(MeshcapException.class, () -> discovery.select(NAMESPACE, "app=none"));
        assertEquals("no pod in namespace shop matches 'app=none'; check with: kubectl get pods -n shop -l 'app=none'",
                e.getMessage());
    }

    @Test
    void forbiddenGetNamesTheMissingPermission() {
        server.expect().get().withPath("/api/v1/namespaces/shop/pods/" + POD)
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("pods \"" + POD
                        + "\" is forbidden: User \"bob\" cannot get resource \"pods\" in API group \"\" in the "
                        + "namespace \"shop\"").build())
                .once();
        MeshcapException e = assertThrows(MeshcapException.class, () -> discovery.get(new PodRef(NAMESPACE, POD)));
        assertEquals("forbidden: cannot get pods in namespace shop; grant it (see examples/rbac.yaml)", e.getMessage());
    }

    @Test
    void aLegRecordsTheTargetsNamespacePodNodeAddressesProxyAndInterceptionInThisOrder() {
        PodInfo pod = PodDiscovery.describe(MockCluster.targetPod().build());

        assertEquals(List.of("namespace=shop", "pod=reviews-v1-7d9c", "node=worker-2",
                "pod-ips=10.244.1.17,fd00:10:244:1::11", "istio-version=1.24.2", "proxy-uid=1337",
                "interception-mode=REDIRECT"),
                pod.metadata().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    @Test
    void aPodWithoutSidecarIsCapturedInItsFirstContainerAndItsLegsSayNoProxy() {
        Pod plain = new PodBuilder()
                .withNewMetadata().withName("batch-1").withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().withNodeName("worker-1")
                    .addNewContainer().withName("main").withImage("busybox").endContainer()
                    .addNewContainer().withName("logs").withImage("fluent-bit:3").endContainer()
                .endSpec()
                .withNewStatus().withPhase("Running").withPodIP("10.244.2.9")
                    .addToContainerStatuses(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
                            .withName("main").withContainerID("0123ab").withNewState().withNewWaiting()
                            .withReason("CrashLoopBackOff").endWaiting().endState().build())
                .endStatus()
                .build();

        PodInfo pod = PodDiscovery.describe(plain);

        assertEquals("main", pod.container(Optional.empty()).name());
        assertEquals("0123ab", pod.container(Optional.empty()).containerId(), "an ID without a runtime scheme");
        assertEquals(List.of(), pod.assumptions(), "nothing assumed about a proxy that is not there");
        assertEquals(List.of("namespace=shop", "pod=batch-1", "node=worker-1", "pod-ips=10.244.2.9",
                "interception-mode=REDIRECT"),
                pod.metadata().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        assertEquals(List.of(false, false), pod.containers().stream().map(ContainerInfo::running).toList(),
                "waiting, and without a status");
        assertEquals(List.of(true, true), PodDiscovery.describe(MockCluster.targetPod().build()).containers().stream()
                .map(ContainerInfo::running).toList());
    }

    @Test
    void aPodWithoutContainersHasNothingToCaptureIn() {
        PodInfo pod = PodDiscovery.describe(new PodBuilder()
                .withNewMetadata().withName("empty").withNamespace(NAMESPACE).endMetadata().build());

        MeshcapException e = assertThrows(MeshcapException.class, () -> pod.container(Optional.empty()));

        assertEquals("pod shop/empty has no containers", e.getMessage());
        assertEquals("unknown", pod.phase());
    }

    @Test
    void anImageWithoutRegistryOrPathStillGivesItsTag() {
        assertEquals("1.22.3", PodDiscovery.imageTag("proxyv2:1.22.3"));
    }
}
