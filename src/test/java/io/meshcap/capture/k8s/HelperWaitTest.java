package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wait for a helper container, against pods as the mock API server stores them: it ends when the container runs,
 * fails at once with the reason when it never will, and otherwise names what it last saw when the time is up.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class HelperWaitTest {

    private static final String HELPER = "meshcap-node";
    private static final String IMAGE = "nicolaka/netshoot:v0.13";
    private static final PodRef NODE_POD = new PodRef(NAMESPACE, "meshcap-node-x");
    /** Long enough for a few looks (one each 250 ms), short enough for a test. */
    private static final Duration SHORT = Duration.ofMillis(900);

    KubernetesMockServer server;
    KubernetesClient client;
    private MockCluster cluster;
    private final AtomicInteger looks = new AtomicInteger();

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
    }

    private static PodBuilder nodePod(ContainerStatus status) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withName(NODE_POD.name()).withNamespace(NAMESPACE)
                .endMetadata().withNewSpec().addNewContainer().withName(HELPER).withImage(IMAGE).endContainer().endSpec()
                .withNewStatus().withPhase("Pending").endStatus();
        return status == null ? pod : pod.editStatus().addToContainerStatuses(status).endStatus();
    }

    private static ContainerStatusBuilder helper() {
        return new ContainerStatusBuilder().withName(HELPER);
    }

    private void waitForIt(Duration timeout) {
        HelperWait.nodePod(client, NODE_POD, HELPER, IMAGE, timeout, looks::incrementAndGet);
    }

    private MeshcapException waitFails(Duration timeout) {
        return assertThrows(MeshcapException.class, () -> waitForIt(timeout));
    }

    @Test
    void aRunningHelperEndsTheWaitAtTheFirstLook() {
        cluster.create(nodePod(helper().withNewState().withNewRunning().endRunning().endState().build()).build());

        waitForIt(Duration.ofSeconds(30));

        assertEquals(1, looks.get());
    }

    @Test
    void anEphemeralContainerIsLookedForAmongTheEphemeralContainersStatuses() {
        cluster.create(MockCluster.targetWithRunningDebugContainer());

        HelperWait.ephemeralContainer(client, new PodRef(NAMESPACE, MockCluster.POD), MockCluster.DEBUG, IMAGE,
                Duration.ofSeconds(30), looks::incrementAndGet);

        assertEquals(1, looks.get());
        MeshcapException notThere = assertThrows(MeshcapException.class, () -> HelperWait.ephemeralContainer(client,
                new PodRef(NAMESPACE, MockCluster.POD), "istio-proxy", IMAGE, SHORT, () -> { }));
        assertEquals("helper container istio-proxy in pod shop/reviews-v1-7d9c did not start within 0s (no status yet);"
                + " check: kubectl describe pod -n shop reviews-v1-7d9c", notThere.getMessage(),
                "a container that runs, but not among the ephemeral ones, is not the helper");
    }

    @Test
    void aHelperThatCannotPullItsImageFailsAtOnceSayingWhatToDo() {
        cluster.create(nodePod(helper().withNewState().withNewWaiting().withReason("ImagePullBackOff")
                .withMessage("Back-off pulling image \"" + IMAGE + "\"").endWaiting().endState().build()).build());

        MeshcapException failure = waitFails(Duration.ofSeconds(30));

        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x cannot start: ImagePullBackOff (Back-off"
                + " pulling image \"nicolaka/netshoot:v0.13\"); check that the node can pull nicolaka/netshoot:v0.13, or"
                + " pass --image with a reachable copy", failure.getMessage());
        assertEquals(1, looks.get(), "no second look");
    }

    @Test
    void aHopelessReasonWithoutAMessageIsSaidAlone() {
        cluster.create(nodePod(helper().withNewState().withNewWaiting().withReason("CreateContainerError").endWaiting()
                .endState().build()).build());

        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x cannot start: CreateContainerError;"
                + " check that the node can pull nicolaka/netshoot:v0.13, or pass --image with a reachable copy",
                waitFails(Duration.ofSeconds(30)).getMessage());
    }

    @Test
    void aHelperThatExitedFailsAtOnce() {
        cluster.create(nodePod(helper().withNewState().withNewTerminated().withExitCode(137).withReason("OOMKilled")
                .endTerminated().endState().build()).build());

        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x exited (137, OOMKilled) before meshcap"
                + " could use it", waitFails(Duration.ofSeconds(30)).getMessage());
    }

    @Test
    void aFailedPodFailsAtOnceWithItsMessageOrSaysThereWasNone() {
        cluster.create(nodePod(null).editStatus().withPhase("Failed").withMessage("Pod was rejected: node worker-2 is"
                + " out of pids").endStatus().build());
        assertEquals("helper pod shop/meshcap-node-x failed: Pod was rejected: node worker-2 is out of pids",
                waitFails(Duration.ofSeconds(30)).getMessage());

        client.pods().inNamespace(NAMESPACE).withName(NODE_POD.name()).delete();
        cluster.create(nodePod(null).editStatus().withPhase("Failed").endStatus().build());
        assertEquals("helper pod shop/meshcap-node-x failed: no reason given", waitFails(Duration.ofSeconds(30))
                .getMessage());
    }

    @Test
    void aPodThatIsGoneEndsTheWait() {
        assertEquals("pod shop/meshcap-node-x disappeared while meshcap waited for its helper container meshcap-node",
                waitFails(Duration.ofSeconds(30)).getMessage());
    }

    @Test
    void whenTheTimeIsUpTheLastThingSeenIsNamed() {
        // Still creating: a reason that may resolve by waiting.
        cluster.create(nodePod(helper().withNewState().withNewWaiting().withReason("ContainerCreating").endWaiting()
                .endState().build()).build());

        MeshcapException failure = waitFails(SHORT);

        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x did not start within 0s"
                + " (ContainerCreating); check: kubectl describe pod -n shop meshcap-node-x", failure.getMessage());
        assertEquals(true, looks.get() > 1, "looked again until the time was up: " + looks.get());
        // One look each 250 ms: at 0, 250, 500 and 750 ms of the 900 (fewer on a slow machine), never a busy loop.
        assertEquals(true, looks.get() <= 4, "looked " + looks.get() + " times in 900 ms");
    }

    @Test
    void anUnscheduledPodSaysWhyTheSchedulerLeftIt() {
        // The kubelet's conditions come first, as a pod lists them; only PodScheduled=False says why it waits.
        cluster.create(nodePod(null).editStatus().addToConditions(new PodConditionBuilder().withType("Initialized")
                .withStatus("True").withMessage("not this one").build(), new PodConditionBuilder()
                .withType("PodScheduled").withStatus("False").withMessage("0/3 nodes are available: 3 Insufficient cpu.").build()).endStatus()
                .build());

        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x did not start within 0s (not scheduled:"
                + " 0/3 nodes are available: 3 Insufficient cpu.); check: kubectl describe pod -n shop meshcap-node-x",
                waitFails(SHORT).getMessage());
    }

    @Test
    void aWaitingContainerWithoutAReasonOrAnUnknownStateIsSaidAsSuch() {
        cluster.create(nodePod(helper().withNewState().withNewWaiting().endWaiting().endState().build()).build());
        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x did not start within 0s (waiting);"
                + " check: kubectl describe pod -n shop meshcap-node-x", waitFails(SHORT).getMessage());

        client.pods().inNamespace(NAMESPACE).withName(NODE_POD.name()).delete();
        cluster.create(nodePod(helper().withNewState().endState().build()).build());
        assertEquals("helper container meshcap-node in pod shop/meshcap-node-x did not start within 0s (unknown state);"
                + " check: kubectl describe pod -n shop meshcap-node-x", waitFails(SHORT).getMessage());
    }

    @Test
    void aStopRequestedBeforeALookEndsTheWait() {
        cluster.create(nodePod(null).build());
        MeshcapException stopped = MeshcapException.failure("stopped while waiting for the node pod");

        MeshcapException failure = assertThrows(MeshcapException.class, () -> HelperWait.nodePod(client, NODE_POD,
                HELPER, IMAGE, Duration.ofSeconds(30), () -> {
                    if (looks.incrementAndGet() == 2) {
                        throw stopped;
                    }
                }));

        assertEquals(stopped, failure);
    }

    @Test
    void anInterruptDuringThePauseBetweenLooksEndsTheWaitAndStaysSetForTheCaller() throws Exception {
        cluster.create(nodePod(null).build());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptKept = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            try {
                waitForIt(Duration.ofSeconds(30));
            } catch (RuntimeException e) {
                thrown.set(e);
                interruptKept.set(Thread.currentThread().isInterrupted());
            }
        }, "helper-wait-test");
        waiter.start();

        awaitPause(waiter);
        waiter.interrupt();
        waiter.join(TimeUnit.SECONDS.toMillis(30));

        assertEquals("interrupted while waiting for the helper container", thrown.get().getMessage());
        assertTrue(interruptKept.get(), "the interrupt is kept for the code that called the wait");
    }

    /**
     * Waits until {@code waiter} is in the pause between two looks, not in a request to the API server (whose client
     * would see the interrupt instead).
     */
    private static void awaitPause(Thread waiter) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Arrays.stream(waiter.getStackTrace()).noneMatch(frame -> frame.getMethodName().equals("sleep")
                && frame.getClassName().equals(HelperWait.class.getName()))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the wait never paused");
            }
            Thread.sleep(5);
        }
    }
}
