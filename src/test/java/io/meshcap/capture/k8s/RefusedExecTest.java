package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An exec the API server refuses at the websocket upgrade, which carries only the HTTP status: the reason is read
 * back from the same URL (the mock server's answer to it), and when there is none the status alone is said.
 */
@EnableKubernetesMockClient(crud = true)
class RefusedExecTest {

    private static final List<String> PROBE = List.of("tcpdump", "--version");

    KubernetesMockServer server;
    KubernetesClient client;

    private PodExec exec;

    @BeforeEach
    void setUp() {
        new MockCluster(server, client).create(MockCluster.targetPod().build());
        exec = new PodExec(client, StopSignal.manual());
    }

    private MeshcapException refused(int code) {
        server.expect().get().withPath(MockCluster.execPath(POD, "istio-proxy", PROBE)).andReturn(code, "").always();
        return assertThrows(MeshcapException.class, () -> exec.start(new ExecTarget(NAMESPACE, POD, "istio-proxy",
                List.of()), PROBE, new ByteArrayOutputStream()));
    }

    @Test
    void aForbiddenExecWithoutAReasonIsSaidToBeForbiddenInThePodsNamespaceNotClusterWide() {
        assertEquals("forbidden: cannot exec in pod shop/" + POD + ": the API server gave no reason (HTTP 403); exec"
                + " needs create on pods/exec; grant it (see examples/rbac.yaml)", refused(403).getMessage());
    }

    @Test
    void anyOtherRefusalWithoutAReasonGivesItsStatus() {
        assertEquals("cannot exec in pod shop/" + POD + ": HTTP 404", refused(404).getMessage());
    }
}
