package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.kubernetes.api.model.ContainerStateWaitingBuilder;
import io.meshcap.capture.k8s.CaptureArgv;
import io.meshcap.capture.k8s.MockCluster;
import io.meshcap.capture.k8s.Permission;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** meshcap cleanup end to end: CLI flags → kubeconfig → mock API server. */
@EnableKubernetesMockClient(crud = true)
class CleanupCommandTest {

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;
    private Path kubeconfig;

    private MockCluster cluster;

    @BeforeEach
    void setUp() throws IOException {
        cluster = new MockCluster(server, client);
        kubeconfig = cluster.kubeconfig(temp);
    }

    private Pod nodePod(String name, String run) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("shop")
                .withLabels(Map.of("app.kubernetes.io/managed-by", "meshcap", "meshcap.io/run", run)).endMetadata()
                .withNewSpec().addNewContainer().withName("meshcap").endContainer().endSpec().build();
    }

    private Pod targetWithDebugContainer() {
        return new PodBuilder().withNewMetadata().withName("reviews-v1-7d9c").withNamespace("shop").endMetadata()
                .withNewSpec()
                    .addNewContainer().withName("istio-proxy").endContainer()
                    .addNewEphemeralContainer().withName("meshcap-abc123").endEphemeralContainer()
                .endSpec()
                .withNewStatus().addNewEphemeralContainerStatus().withName("meshcap-abc123")
                    .withNewState().withNewRunning().endRunning().endState().endEphemeralContainerStatus()
                .endStatus().build();
    }

    private Pod targetWithStartingDebugContainer() {
        Pod pod = targetWithDebugContainer();
        pod.getStatus().getEphemeralContainerStatuses().get(0).getState().setRunning(null);
        pod.getStatus().getEphemeralContainerStatuses().get(0).getState().setWaiting(
                new ContainerStateWaitingBuilder().withReason("ContainerCreating").build());
        return pod;
    }

    @Test
    void deletesLabelledNodePodsAndStopsDebugContainers() throws Exception {
        client.pods().inNamespace("shop").resource(nodePod("meshcap-node-x1", "abc123")).create();
        client.pods().inNamespace("shop").resource(nodePod("meshcap-node-y2", "zzz999")).create();
        client.pods().inNamespace("shop").resource(targetWithDebugContainer()).create();
        String release = CaptureArgv.release().stream()
                .map(a -> "command=" + URLEncoder.encode(a, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("&"));
        server.expect().get().withPath("/api/v1/namespaces/shop/pods/reviews-v1-7d9c/exec?" + release
                        + "&container=meshcap-abc123&stdout=true&stderr=true")
                .andUpgradeToWebSocket().open().waitFor(5).andEmit(new StatusStreamMessage(0)).done().once();

        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString());

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("", run.out(), "stdout carries no notes");
        assertEquals("meshcap: deleted node pod shop/meshcap-node-x1\nmeshcap: deleted node pod shop/meshcap-node-y2\n"
                + "meshcap: stopped debug container shop/reviews-v1-7d9c (meshcap-abc123)\n", run.err());
        assertEquals(List.of("reviews-v1-7d9c"), client.pods().inNamespace("shop").list().getItems().stream()
                .map(p -> p.getMetadata().getName()).toList());
        assertTrue(requests().stream().anyMatch(r -> r.getPath().contains("/exec?")), "the debug container was stopped");
    }

    @Test
    void dryRunOfOneRunChangesNothing() {
        client.pods().inNamespace("shop").resource(nodePod("meshcap-node-x1", "abc123")).create();
        client.pods().inNamespace("shop").resource(nodePod("meshcap-node-y2", "zzz999")).create();

        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString(), "--run", "abc123", "--dry-run");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertEquals("meshcap: would delete node pod shop/meshcap-node-x1\n", run.err());
        assertEquals(2, client.pods().inNamespace("shop").list().getItems().size());
    }

    @Test
    void whatItMayNotRemoveIsNamedWithTheMissingPermissionAndLeftAlone() throws Exception {
        client.pods().inNamespace("shop").resource(nodePod("meshcap-node-x1", "abc123")).create();
        client.pods().inNamespace("shop").resource(targetWithDebugContainer()).create();
        cluster.deny(new Permission("delete", "pods", "", "shop"));
        cluster.deny(new Permission("create", "pods", "exec", "shop"));

        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString());

        assertEquals(1, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertEquals("meshcap: cannot delete node pod shop/meshcap-node-x1: you may not delete pods in namespace shop; "
                + "grant it (see examples/rbac.yaml, Role meshcap-cleanup)\n"
                + "meshcap: cannot stop debug container shop/reviews-v1-7d9c (meshcap-abc123): you may not create "
                + "pods/exec in namespace shop; grant it (see examples/rbac.yaml, Role meshcap-cleanup) (stopping it "
                + "runs its release command through exec)\n", run.err());
        assertTrue(requests().stream().noneMatch(r -> r.getMethod().equals("DELETE") || r.getPath().contains("/exec?")),
                "nothing it may not do was tried");
        assertEquals(2, client.pods().inNamespace("shop").list().getItems().size());
    }

    @Test
    void aDebugContainerStillStartingIsNamedNotSkipped() {
        client.pods().inNamespace("shop").resource(targetWithStartingDebugContainer()).create();

        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString());

        assertEquals(1, run.exitCode(), run.toString());
        assertEquals("meshcap: debug container shop/reviews-v1-7d9c (meshcap-abc123) has not started yet, so it cannot "
                + "be stopped now; run meshcap cleanup again once it runs (it stops by itself when its lifetime ends)\n",
                run.err());
    }

    @Test
    void nothingToDoIsSaid() {
        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString(), "-n", "other");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("meshcap: nothing to clean up\n", run.err());
    }

    @Test
    void unknownContextIsAUsageError() {
        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString(), "--context", "prod");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("meshcap: "), run.err());
        assertTrue(!run.err().contains("not-a-secret"), "credentials are never printed");
    }

    @Test
    void hostileNamespaceIsRejectedBeforeAnyRequest() {
        CliRun run = CliRun.of("cleanup", "--kubeconfig", kubeconfig.toString(), "-n", "shop; rm -rf /");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("meshcap: --namespace: 'shop; rm -rf /' is not a valid namespace (lower-case letters, digits and "
                + "'-', at most 63 characters; see kubectl get pods)\n", run.err());
        assertEquals(0, server.getRequestCount());
    }

    private List<RecordedRequest> requests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }
}
