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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Pattern;
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

    /**
     * The threads of fixed pools made by Executors' default factory alive now (named pool-N-thread-M, idle in their
     * task queue when not shut down; the client's scheduled pools wait elsewhere).
     */
    private static Set<Thread> fixedPoolThreads() {
        Pattern pool = Pattern.compile("pool-\\d+-thread-\\d+");
        return Set.copyOf(Thread.getAllStackTraces().entrySet().stream()
                .filter(t -> pool.matcher(t.getKey().getName()).matches())
                .filter(t -> Arrays.stream(t.getValue()).anyMatch(f -> f.getClassName().equals(
                        LinkedBlockingQueue.class.getName())))
                .map(Map.Entry::getKey).toList());
    }

    @Test
    void oneAtATimeIsAllowedAndTheThreadsThatSetTheSourcesUpEndWithIt() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        List<PodInfo> pods = List.of(privilegedProxyPod(cluster, "reviews-v1-a", "Running"),
                privilegedProxyPod(cluster, "reviews-v2-b", "Running"));
        Set<Thread> before = fixedPoolThreads();

        List<KubernetesCaptureSource> sources = PodSources.openAll(cluster.run(LaunchSettings.of(Strategy.EXEC),
                new ArrayList<>()), pods, Optional.empty(), 1);

        assertEquals(List.of("reviews-v1-a", "reviews-v2-b"), sources.stream().map(s -> s.pod().name()).toList());
        sources.forEach(KubernetesCaptureSource::close);
        for (Thread started : fixedPoolThreads()) {
            if (!before.contains(started)) {
                started.join(Duration.ofSeconds(20).toMillis());
                assertTrue(!started.isAlive(), started.getName() + " still runs after the sources were set up: "
                        + Arrays.toString(started.getStackTrace()));
            }
        }
    }

    @Test
    void parallelismBelowOneIsAUsageError() {
        MockCluster cluster = new MockCluster(server, client);
        MeshcapException e = assertThrows(MeshcapException.class, () -> PodSources.openAll(
                cluster.run(LaunchSettings.of(Strategy.EXEC), new ArrayList<>()), List.of(), Optional.empty(), 0));
        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertEquals("--max-parallel must be at least 1", e.getMessage());
    }

    @Test
    void aContainerOnePodLacksIsRefusedBeforeAnythingRunsInAnyPod() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        PodInfo withReviews = privilegedProxyPod(cluster, "reviews-v1-a", "Running");
        Pod ratings = MockCluster.privilegedProxyPod().editMetadata().withName("ratings-v1-c").endMetadata()
                .editSpec().editFirstContainer().withName("ratings").endContainer().endSpec().build();
        cluster.create(ratings);
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> PodSources.openAll(
                cluster.run(LaunchSettings.of(Strategy.EXEC), new ArrayList<>()),
                List.of(withReviews, PodDiscovery.describe(ratings)), Optional.of("reviews"), 2));

        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertEquals("container 'reviews' not found in pod shop/ratings-v1-c; it has: ratings, istio-proxy (pick one"
                + " with --container)", e.getMessage());
        assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::isExec).toList(), "nothing ran");
    }

    @Test
    void decryptingAPodWithoutSidecarIsRefusedBeforeAnythingRunsInAnyPod() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        PodInfo withSidecar = privilegedProxyPod(cluster, "reviews-v1-a", "Running");
        Pod plain = MockCluster.targetPod().editMetadata().withName("batch-1").endMetadata()
                .editSpec().removeMatchingFromContainers(c -> c.getName().equals("istio-proxy")).endSpec().build();
        cluster.create(plain);
        cluster.requests();
        LaunchSettings decrypting = LaunchSettings.of(Strategy.EXEC).withRunId(MockCluster.RUN_ID)
                .withDecryption(Duration.ofSeconds(30));

        MeshcapException e = assertThrows(MeshcapException.class, () -> PodSources.openAll(
                cluster.run(decrypting, new ArrayList<>()), List.of(withSidecar, PodDiscovery.describe(plain)),
                Optional.empty(), 2));

        assertEquals("pod shop/batch-1 has no Istio sidecar (istio-proxy), so there are no Envoy TLS keys to log; "
                + "leave --decrypt out", e.getMessage());
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of(), log.stream().filter(r -> MockCluster.isExec(r) || MockCluster.changesSomething(r))
                .toList(), "nothing ran or was created");
    }

    @Test
    void aFailureThatDoesNotNameItsPodIsGivenItsPodsName() {
        MockCluster cluster = new MockCluster(server, client);
        List<PodInfo> pods = List.of(privilegedProxyPod(cluster, "reviews-v1-a", "Running"),
                PodDiscovery.describe(cluster.create(MockCluster.privilegedProxyPod().editMetadata()
                        .withName("reviews-v2-b").endMetadata().build())));
        server.expect().get().withPath(MockCluster.execPath("reviews-v2-b", "istio-proxy", CaptureArgv.probe()))
                .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                        .withMessage("pods \"reviews-v2-b\" is forbidden: User \"bob\" cannot create resource "
                                + "\"pods/exec\" in API group \"\" in the namespace \"shop\"").build())
                .always();

        MeshcapException e = assertThrows(MeshcapException.class, () -> PodSources.openAll(
                cluster.run(LaunchSettings.of(Strategy.EXEC), new ArrayList<>()), pods, Optional.empty(), 2));

        assertEquals("pod shop/reviews-v2-b: forbidden: cannot create pods/exec in namespace shop; grant it (see "
                + "examples/rbac.yaml)", e.getMessage());
    }
}
