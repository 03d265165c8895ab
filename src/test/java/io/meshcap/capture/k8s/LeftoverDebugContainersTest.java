package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which ephemeral containers {@code meshcap cleanup} stops, against a pod the mock API server stores with several:
 * only meshcap's (by name prefix, one run's with --run) that have not ended. The request log says which release
 * commands were run, and in which container.
 */
@EnableKubernetesMockClient(crud = true)
class LeftoverDebugContainersTest {

    private static final String THIS_RUN = "meshcap-" + MockCluster.RUN_ID;
    private static final String OTHER_RUN = "meshcap-zzz999";
    private static final String ENDED = "meshcap-ended1";
    /** What {@code kubectl debug} names its containers: not meshcap's. */
    private static final String KUBECTL_DEBUG = "debugger-x7k2p";

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void onlyMeshcapsContainersThatHaveNotEndedAreStoppedAndWithRunOnlyThatRunsOne() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        cluster.create(targetWith(MockCluster.running(THIS_RUN, "containerd://a1"),
                MockCluster.running(OTHER_RUN, "containerd://b2"), MockCluster.running(KUBECTL_DEBUG, "containerd://c3"),
                new ContainerStatusBuilder().withName(ENDED).withNewState().withNewTerminated().withExitCode(0)
                        .withReason("Completed").endTerminated().endState().build()));
        for (String container : List.of(THIS_RUN, OTHER_RUN)) {
            cluster.exec(POD, container, ExpectedArgv.release()).andEmit(new StatusStreamMessage(0)).done().always();
        }
        cluster.requests();

        LeftoverCleanup.Report oneRun = new LeftoverCleanup(client, note -> { }).run(Optional.of(NAMESPACE),
                Optional.of(MockCluster.RUN_ID), false);
        List<String> oneRunsReleases = releasesIn(cluster.requests());
        LeftoverCleanup.Report everyRun = new LeftoverCleanup(client, note -> { }).run(Optional.of(NAMESPACE),
                Optional.empty(), false);
        List<String> everyRunsReleases = releasesIn(cluster.requests());

        assertEquals(new LeftoverCleanup.Report(List.of(), List.of("shop/" + POD + " (" + THIS_RUN + ")"), List.of(),
                List.of()), oneRun);
        assertEquals(List.of(THIS_RUN), oneRunsReleases);
        // The stored pod still says THIS_RUN runs (no kubelet saw it stop): without --run it is released again.
        assertEquals(new LeftoverCleanup.Report(List.of(), List.of("shop/" + POD + " (" + THIS_RUN + ")",
                "shop/" + POD + " (" + OTHER_RUN + ")"), List.of(), List.of()), everyRun);
        assertEquals(List.of(THIS_RUN, OTHER_RUN), everyRunsReleases);
    }

    private static Pod targetWith(ContainerStatus... statuses) {
        PodBuilder pod = MockCluster.targetPod();
        for (ContainerStatus status : statuses) {
            pod.editSpec().addNewEphemeralContainer().withName(status.getName()).endEphemeralContainer().endSpec()
                    .editStatus().addToEphemeralContainerStatuses(status).endStatus();
        }
        return pod.build();
    }

    /** The container of each release command in {@code log}, in order. */
    private static List<String> releasesIn(List<RecordedRequest> log) {
        return log.stream().filter(MockCluster::isExec)
                .filter(r -> MockCluster.commandOf(r).equals(ExpectedArgv.release()))
                .map(r -> r.getPath().replaceAll(".*[?&]container=([^&]*).*", "$1")).toList();
    }
}
