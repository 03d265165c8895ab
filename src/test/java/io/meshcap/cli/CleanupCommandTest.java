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
import io.meshcap.capture.k8s.CaptureArgv;
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

    @BeforeEach
    void setUp() throws IOException {
        kubeconfig = Files.writeString(temp.resolve("config"), String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: mock",
                "  cluster:",
                "    server: " + server.url("/").replaceAll("/$", ""),
                "    insecure-skip-tls-verify: true",
                "contexts:",
                "- name: mock",
                "  context: {cluster: mock, user: tester, namespace: shop}",
                "current-context: mock",
                "users:",
                "- name: tester",
                "  user: {token: not-a-secret}",
                ""));
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
        assertEquals("delete pod shop/meshcap-node-x1\ndelete pod shop/meshcap-node-y2\n"
                + "stop debug container shop/reviews-v1-7d9c (meshcap-abc123)\n", run.out());
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
        assertEquals("would delete pod shop/meshcap-node-x1\n", run.out());
        assertEquals(2, client.pods().inNamespace("shop").list().getItems().size());
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
