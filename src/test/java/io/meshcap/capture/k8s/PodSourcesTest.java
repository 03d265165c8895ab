package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.MeshcapException;
import java.time.Duration;
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

    @Test
    void whenOnePodFailsTheHelpersAlreadyAddedToTheOthersAreStopped() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        String ready = "reviews-v1-a";
        String refused = "reviews-v2-b";
        Pod withDebug = MockCluster.targetWithRunningDebugContainer();
        withDebug.getMetadata().setName(ready);
        cluster.create(withDebug);
        cluster.create(MockCluster.targetPod().editMetadata().withName(refused).endMetadata().build());
        server.expect().patch().withPath("/api/v1/namespaces/shop/pods/" + ready + "/ephemeralcontainers")
                .andReturn(200, withDebug).once();
        server.expect().patch().withPath("/api/v1/namespaces/shop/pods/" + refused + "/ephemeralcontainers")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("pods \"" + refused
                        + "\" is forbidden: violates PodSecurity \"baseline:latest\": non-default capabilities")
                        .build()).once();
        cluster.execReturns(ready, MockCluster.DEBUG, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.execReturns(ready, MockCluster.DEBUG, CaptureArgv.release(), "", 0);
        List<PodInfo> pods = List.of(new PodDiscovery(client).get(new PodRef("shop", ready)),
                new PodDiscovery(client).get(new PodRef("shop", refused)));
        LaunchSettings settings = LaunchSettings.of(Strategy.EPHEMERAL).withRunId(MockCluster.RUN_ID)
                .withReadyTimeout(Duration.ofSeconds(10));

        MeshcapException e = assertThrows(MeshcapException.class, () -> PodSources.openAll(
                cluster.run(settings, new ArrayList<>()), pods, Optional.empty(), 2));

        assertTrue(e.getMessage().startsWith("Pod Security admission rejected: cannot add an ephemeral container to "
                + "pod shop/" + refused), e.getMessage());
        List<RecordedRequest> releases = cluster.requests().stream().filter(MockCluster::isExec)
                .filter(r -> MockCluster.commandOf(r).equals(CaptureArgv.release())).toList();
        assertEquals(1, releases.size(), "the helper of the pod that was set up is stopped");
        assertTrue(releases.get(0).getPath().startsWith("/api/v1/namespaces/shop/pods/" + ready + "/exec?"));
    }
}
