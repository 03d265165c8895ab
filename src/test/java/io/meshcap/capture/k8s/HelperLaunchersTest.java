package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.DEBUG;
import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * How each helper strategy sets up and cleans up when the pod or the API is not as hoped, against the mock API
 * server: what the user is told, what the request log shows was created, deleted or run, and what the run still
 * counts as left in the cluster (what a second Ctrl-C names).
 */
class HelperLaunchersTest extends AgainstMockCluster {

    private static final String RBAC_REFUSAL = " is forbidden: User \"bob\" cannot %s resource \"%s\" in API group \"\" "
            + "in the namespace \"shop\"";

    /** The API server's answer to a delete it will not do (not a 5xx, which the client would retry for seconds). */
    private static final String CONFLICT = "Operation cannot be fulfilled on pods \"%s\": the object has been modified";

    private final List<String> notes = new ArrayList<>();
    private final StopSignal stop = StopSignal.manual();
    private ClusterRun run;

    private KubernetesCaptureSource open(Strategy strategy) {
        run = new ClusterRun(client, LaunchSettings.of(strategy).withRunId(MockCluster.RUN_ID)
                .withReadyTimeout(Duration.ofSeconds(10)), notes::add, stop);
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        return KubernetesCaptureSource.open(run, pod, Optional.empty());
    }

    private static List<String> changes(List<RecordedRequest> log) {
        return log.stream().filter(MockCluster::changesSomething).map(r -> r.getMethod() + " " + r.getPath()).toList();
    }

    @Test
    void theNodeStrategyNeedsThePodOnANode() throws Exception {
        cluster.create(MockCluster.targetPod().editSpec().withNodeName(null).endSpec().build());
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.NODE));

        assertEquals("pod shop/" + POD + " is not scheduled on a node yet", e.getMessage());
        assertEquals(List.of(), changes(cluster.requests()));
    }

    @Test
    void theNodeStrategyNeedsTheContainersIdToFindItsProcess() throws Exception {
        Pod starting = MockCluster.targetPod().build();
        ContainerStatus proxy = starting.getStatus().getContainerStatuses().get(1);
        proxy.setContainerID(null);
        proxy.getState().setRunning(null);
        cluster.create(starting);
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.NODE));

        assertEquals("container istio-proxy of pod shop/" + POD + " has no usable container ID (''), so its process "
                + "cannot be found on the node; wait until it runs, or use --strategy ephemeral", e.getMessage());
        assertEquals(List.of(), changes(cluster.requests()));
    }

    @Test
    void aNodePodTheServerRefusedIsNotDeletedAndNotCountedAsLeft() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        server.expect().post().withPath("/api/v1/namespaces/shop/pods")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage("pods" + RBAC_REFUSAL.formatted("create", "pods")).build())
                .once();
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.NODE));

        assertEquals("forbidden: cannot create pods in namespace shop; grant it (see examples/rbac.yaml) or use "
                + "--strategy ephemeral", e.getMessage());
        assertEquals(List.of("POST /api/v1/namespaces/shop/pods"), changes(cluster.requests()));
        assertEquals(List.of(), run.footprint().objects());
    }

    @Test
    void anEphemeralContainerTheServerRefusedIsNotLookedForAtCleanUp() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        cluster.refuseEphemeralPatch(403, "Forbidden", "pods \"" + POD + "\"" + RBAC_REFUSAL.formatted("patch",
                "pods/ephemeralcontainers"));
        cluster.requests();

        assertThrows(MeshcapException.class, () -> open(Strategy.EPHEMERAL));

        List<RecordedRequest> log = cluster.requests();
        List<String> afterThePatch = log.subList(log.indexOf(log.stream().filter(r -> r.getMethod().equals("PATCH"))
                .findFirst().orElseThrow()) + 1, log.size()).stream().map(RecordedRequest::getPath).toList();
        assertEquals(List.of(), afterThePatch, "nothing was added, so clean-up reads nothing");
        assertEquals(List.of(), run.footprint().objects());
    }

    @Test
    void aDebugContainerWhoseReleaseFailsIsNamedWithTheCommandToRemoveItAndStaysCounted() throws Exception {
        cluster.create(MockCluster.targetWithRunningDebugContainer());
        cluster.acceptEphemeralPatch(2);
        cluster.tcpdumpIn(POD, DEBUG);
        cluster.exec(POD, DEBUG, ExpectedArgv.release())
                .andEmit(MockCluster.stderr("sh: kill: (4711) - Operation not permitted\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();

        open(Strategy.EPHEMERAL).close();

        assertEquals(List.of("warning: could not stop ephemeral container " + DEBUG + " in pod shop/" + POD + " (its "
                + "release command exited 1: sh: kill: (4711) - Operation not permitted); it idles until its lifetime "
                + "of 12h ends, or run: meshcap cleanup --run t3st01 -n shop"), notes);
        assertEquals(List.of("ephemeral container " + DEBUG + " in pod shop/" + POD), run.footprint().objects());
    }

    @Test
    void aDebugContainerThatHasAlreadyEndedIsNotReleased() throws Exception {
        cluster.create(MockCluster.targetWithRunningDebugContainer());
        cluster.acceptEphemeralPatch(2);
        cluster.tcpdumpIn(POD, DEBUG);
        KubernetesCaptureSource source = open(Strategy.EPHEMERAL);
        // Its lifetime ran out, or someone ended it: the kubelet reports it terminated.
        Pod ended = client.pods().inNamespace(NAMESPACE).withName(POD).get();
        ended.getStatus().getEphemeralContainerStatuses().get(0).setState(new ContainerStateBuilder().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated()
                .build());
        client.pods().inNamespace(NAMESPACE).resource(ended).updateStatus();
        cluster.requests();

        source.close();

        assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::isExec).toList());
        assertEquals(List.of(), notes);
        assertEquals(List.of(), run.footprint().objects());
    }

    @Test
    void aNodePodTheServerWillNotDeleteIsNamedWithBothWaysToRemoveIt() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        FakeKubelet kubelet = new FakeKubelet(cluster, new StringWriter(), (pod, container) -> {
            cluster.tcpdumpIn(pod, container);
            cluster.execReturns(pod, container, CaptureArgv.findPid(MockCluster.PROXY_ID), "4242\n", 0);
            server.expect().delete().withPath("/api/v1/namespaces/shop/pods/" + pod)
                    .andReturn(409, new StatusBuilder().withCode(409).withMessage(CONFLICT.formatted(pod)).build())
                    .always();
        });
        KubernetesCaptureSource source;
        try (kubelet) {
            source = open(Strategy.NODE);
            source.close();
        }

        String nodePod = kubelet.nodePod();
        assertEquals(List.of("warning: could not delete node pod shop/" + nodePod + " (cannot delete node pod shop/"
                + nodePod + ": " + CONFLICT.formatted(nodePod) + "); delete it with: kubectl delete pod -n shop " + nodePod
                + " (or meshcap cleanup --run t3st01 -n shop)"), notes);
        assertEquals(List.of("node pod shop/" + nodePod), run.footprint().objects());
    }

    @Test
    void aStopDuringAutoEndsTheSetUpAtTheStrategyItStoppedWithoutTryingTheOthers() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        cluster.requests();
        stop.requestStop();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.AUTO));

        assertEquals("container istio-proxy of pod shop/" + POD + " is not privileged, so tcpdump cannot capture in it "
                + "(Istio runs the proxy privileged only with values.global.proxy.privileged=true); use --strategy "
                + "ephemeral or node", e.getMessage());
        assertEquals(List.of(), changes(cluster.requests()));
        assertEquals(List.of(), notes);
    }

    @Test
    void theExecStrategyAsksForExecBeforeItRunsAnything() throws Exception {
        cluster.create(MockCluster.privilegedProxyPod().build());
        cluster.deny(new Permission("create", "pods", "exec", NAMESPACE));
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EXEC));

        assertEquals("forbidden: you may not create pods/exec in namespace shop (the API server's answer to a "
                + "SelfSubjectAccessReview, as kubectl auth can-i asks it), which --strategy exec needs; grant it (see "
                + "examples/rbac.yaml, Role meshcap-exec)", e.getMessage());
        assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::isExec).toList());
    }

    @Test
    void aPodDeletedAsTheDebugContainerIsAddedIsSaidSoNotTakenForAnOldCluster() throws Exception {
        cluster.create(MockCluster.targetPod().build());
        cluster.refuseEphemeralPatch(404, "NotFound", "pods \"" + POD + "\" not found");

        MeshcapException e = assertThrows(MeshcapException.class, () -> open(Strategy.EPHEMERAL));

        assertEquals("cannot add an ephemeral container to pod shop/" + POD + ": pods \"" + POD + "\" not found or use "
                + "--strategy node", e.getMessage());
    }
}
