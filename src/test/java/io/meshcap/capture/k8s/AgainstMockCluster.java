package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every test that runs meshcap against the mock API server starts from: fabric8's mock server in CRUD mode
 * and a client of it (both new for each test, put into these fields by {@link EnableKubernetesMockClient}), the
 * {@link MockCluster} over them, and a kubeconfig in the test's own directory pointing meshcap at it. A subclass's
 * own {@code @BeforeEach} runs after this one, so it can create pods and script execs in {@link #cluster}.
 */
@EnableKubernetesMockClient(crud = true)
abstract class AgainstMockCluster {

    /** The sidecar container of {@link MockCluster#targetPod()}, where the exec strategy runs its commands. */
    static final String PROXY = "istio-proxy";

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;

    MockCluster cluster;
    /** A kubeconfig for the mock server, to pass meshcap as {@code --kubeconfig}. */
    Path kubeconfig;

    @BeforeEach
    final void connectToMockCluster() throws IOException {
        cluster = new MockCluster(server, client);
        kubeconfig = cluster.kubeconfig(temp);
    }
}
