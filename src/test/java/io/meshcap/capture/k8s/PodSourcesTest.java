package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.MeshcapException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class PodSourcesTest {

    KubernetesMockServer server;
    KubernetesClient client;

    /** A pod whose proxy runs privileged and has tcpdump, so the exec strategy works without creating anything. */
    private PodInfo privilegedProxyPod(MockCluster cluster, String name, String phase) {
        Pod pod = MockCluster.targetPod()
                .editMetadata().withName(name).endMetadata()
                .editSpec().editLastContainer().editSecurityContext().withPrivileged(true).endSecurityContext()
                        .endContainer().endSpec()
                .editStatus().withPhase(phase).endStatus()
                .build();
        cluster.create(pod);
        cluster.execReturns(name, "istio-proxy", CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        return PodDiscovery.describe(pod);
    }

    @Test
    void opensOneSourcePerPodInOrder() {
        MockCluster cluster = new MockCluster(server, client);
        List<PodInfo> pods = List.of(privilegedProxyPod(cluster, "reviews-v1-a", "Running"),
                privilegedProxyPod(cluster, "reviews-v2-b", "Running"), privilegedProxyPod(cluster, "reviews-v3-c", "Running"));

        List<KubernetesCaptureSource> sources = PodSources.openAll(cluster.run(LaunchSettings.of(Strategy.AUTO),
                new ArrayList<>()), pods, Optional.empty(), 2);

        assertEquals(List.of("reviews-v1-a", "reviews-v2-b", "reviews-v3-c"),
                sources.stream().map(s -> s.pod().name()).toList());
        sources.forEach(s -> assertEquals(Strategy.EXEC, s.strategy()));
        sources.forEach(KubernetesCaptureSource::close);
    }

    @Test
    void oneFailingPodFailsTheSetNamingIt() {
        MockCluster cluster = new MockCluster(server, client);
        List<PodInfo> pods = List.of(privilegedProxyPod(cluster, "reviews-v1-a", "Running"),
                privilegedProxyPod(cluster, "reviews-v2-b", "Pending"));

        MeshcapException e = assertThrows(MeshcapException.class, () -> PodSources.openAll(
                cluster.run(LaunchSettings.of(Strategy.AUTO), new ArrayList<>()), pods, Optional.empty(), 4));

        assertEquals("pod shop/reviews-v2-b is Pending, not Running; captures need a running "
                + "pod (kubectl get pod -n shop reviews-v2-b)", e.getMessage());
    }
}
