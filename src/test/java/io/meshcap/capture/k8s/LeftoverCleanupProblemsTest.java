package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap cleanup} when removing a leftover goes wrong, against the mock API server: each problem named whole
 * with what is left and why, and what could still be removed removed (the request log says what was tried).
 */
@EnableKubernetesMockClient(crud = true)
class LeftoverCleanupProblemsTest {

    private static final String FILTER = "meshcap-keylog-t3st01-reviews-v1-7d9c";
    private static final String KEY_FILE = "/etc/istio/proxy/meshcap-t3st01-tls-keys.log";
    private static final String NODE_POD = "meshcap-node-t3st01-x1";
    private static final String DEBUG = "meshcap-t3st01";
    /** The API server's answer to a delete it will not do (a 5xx the client would retry). */
    private static final String CONFLICT = "Operation cannot be fulfilled on pods \"" + NODE_POD + "\": the object"
            + " has been modified; please apply your changes to the latest version and try again";

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private final List<String> notes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
    }

    private LeftoverCleanup.Report cleanUp() {
        return new LeftoverCleanup(client, notes::add).run(Optional.of(NAMESPACE), Optional.of(MockCluster.RUN_ID),
                false);
    }

    /** The key-logging filter run t3st01 applied for the target pod, as a killed --decrypt capture leaves it. */
    private void filterLeft() {
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        var targets = io.meshcap.istio.EnvoyConfigDump.parse(MockCluster.text("/envoy/config-dump-reviews.json"))
                .keyLogTargets();
        client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE)
                .resource(KeyLogFilterSpec.build(pod, MockCluster.RUN_ID, targets)).create();
    }

    private List<String> execs(List<RecordedRequest> log) {
        return log.stream().filter(MockCluster::isExec).map(r -> MockCluster.commandOf(r).toString()).toList();
    }

    @Test
    void aKeyFileThatCannotBeRemovedIsNamedAndItsFilterIsStillDeleted() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        filterLeft();
        cluster.exec(POD, "istio-proxy", List.of("rm", "-f", KEY_FILE))
                .andEmit(MockCluster.stderr("rm: cannot remove '" + KEY_FILE + "': Read-only file system\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        cluster.requests();

        LeftoverCleanup.Report report = cleanUp();

        assertEquals(List.of("shop/" + FILTER), report.deletedFilters());
        assertEquals(List.of("deleted EnvoyFilter shop/" + FILTER + ", but not the key log " + KEY_FILE + " in pod"
                + " shop/" + POD + " (rm exited 1: rm: cannot remove '" + KEY_FILE + "': Read-only file system); it goes"
                + " with the pod"), report.problems());
        assertEquals(List.of("[rm, -f, " + KEY_FILE + "]"), execs(cluster.requests()));
    }

    @Test
    void aFilterWhosePodIsGoneIsDeletedWithNothingRunInAPod() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        filterLeft();
        client.pods().inNamespace(NAMESPACE).withName(POD).delete();
        cluster.requests();

        LeftoverCleanup.Report report = cleanUp();

        assertEquals(List.of("shop/" + FILTER), report.deletedFilters());
        assertEquals(List.of(), report.problems());
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of(), execs(log));
        assertEquals(List.of("DELETE /apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters/" + FILTER),
                log.stream().filter(MockCluster::changesSomething).map(r -> r.getMethod() + " " + r.getPath())
                        .toList());
    }

    @Test
    void aDebugContainerWhoseReleaseFailsIsNamedWithTheCommandsError() throws Exception {
        cluster.create(new PodBuilder(MockCluster.targetPod().build()).editSpec().addNewEphemeralContainer()
                .withName(DEBUG).endEphemeralContainer().endSpec().editStatus().addToEphemeralContainerStatuses(
                        MockCluster.running(DEBUG, "containerd://feed")).endStatus().build());
        cluster.exec(POD, DEBUG, ExpectedArgv.release())
                .andEmit(MockCluster.stderr("cat: can't open '/tmp/meshcap-helper.pid': No such file or directory\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(2)).done().once();

        LeftoverCleanup.Report report = cleanUp();

        assertEquals(List.of(), report.stoppedContainers());
        assertEquals(List.of("could not stop debug container shop/" + POD + " (" + DEBUG + "): its release command"
                + " exited 2: cat: can't open '/tmp/meshcap-helper.pid': No such file or directory"), report.problems());
    }

    @Test
    void aNodePodTheServerWillNotDeleteIsNamedWithItsAnswer() throws Exception {
        Pod nodePod = new PodBuilder().withNewMetadata().withName(NODE_POD).withNamespace(NAMESPACE)
                .withLabels(Map.of(MeshcapObjects.MANAGED_BY_LABEL, "meshcap", MeshcapObjects.RUN_LABEL,
                        MockCluster.RUN_ID)).endMetadata()
                .withNewSpec().addNewContainer().withName("meshcap").endContainer().endSpec().build();
        cluster.create(nodePod);
        server.expect().delete().withPath("/api/v1/namespaces/shop/pods/" + NODE_POD)
                .andReturn(409, new StatusBuilder().withCode(409).withMessage(CONFLICT).build()).once();

        LeftoverCleanup.Report report = cleanUp();

        assertEquals(List.of(), report.deletedPods());
        assertEquals(List.of("could not delete node pod shop/" + NODE_POD + ": cannot delete pod shop/" + NODE_POD
                + ": " + CONFLICT), report.problems());
        assertEquals(List.of(NODE_POD), client.pods().inNamespace(NAMESPACE).list().getItems().stream()
                .map(p -> p.getMetadata().getName()).toList());
    }

    @Test
    void aFilterTheServerWillNotDeleteIsNamedWithItsAnswerAndItsKeyFileIsLeftAlone() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        filterLeft();
        server.expect().delete().withPath("/apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters/" + FILTER)
                .andReturn(409, new StatusBuilder().withCode(409).withMessage("Operation cannot be fulfilled on "
                        + "envoyfilters.networking.istio.io \"" + FILTER + "\": the object has been modified").build())
                .once();
        cluster.requests();

        LeftoverCleanup.Report report = cleanUp();

        assertEquals(List.of(), report.deletedFilters());
        assertEquals(List.of("could not delete EnvoyFilter shop/" + FILTER + ": cannot delete envoyfilter shop/" + FILTER
                + ": Operation cannot be fulfilled on envoyfilters.networking.istio.io \"" + FILTER + "\": the object"
                + " has been modified"), report.problems());
        assertEquals(List.of(), execs(cluster.requests()), "the key file stays while its filter does");
    }

    @Test
    void aDebugContainerWhosePodGoesBeforeItsReleaseIsNamedWithTheApisAnswer() throws Exception {
        cluster.create(new PodBuilder(MockCluster.targetPod().build()).editSpec().addNewEphemeralContainer()
                .withName(DEBUG).endEphemeralContainer().endSpec().editStatus().addToEphemeralContainerStatuses(
                        MockCluster.running(DEBUG, "containerd://feed")).endStatus().build());
        // Deleted between the list and the exec: the API refuses the exec's upgrade, and says why when asked again.
        server.expect().get().withPath(MockCluster.execPath(POD, DEBUG, ExpectedArgv.release()))
                .andReturn(404, new StatusBuilder().withStatus("Failure").withCode(404).withReason("NotFound")
                        .withMessage("pods \"" + POD + "\" not found").build())
                .always();

        LeftoverCleanup.Report report = cleanUp();

        assertEquals(List.of(), report.stoppedContainers());
        assertEquals(List.of("could not stop debug container shop/" + POD + " (" + DEBUG + "): cannot exec in pod shop/"
                + POD + ": pods \"" + POD + "\" not found"), report.problems());
    }
}
