package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Waits until a helper container (ephemeral or node pod) runs, and fails early with the reason when it
 * cannot start (image pull errors, unschedulable, terminated).
 */
final class HelperWait {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    /** Waiting reasons that will not resolve by waiting longer. */
    private static final Set<String> HOPELESS = Set.of(
            "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
            "CreateContainerError", "RunContainerError");
    private static final String FAILED = "Failed";

    private HelperWait() {
    }

    /**
     * Waits for ephemeral container {@code name} of pod {@code ref}.
     *
     * @param beforeEachLook throws to give up (a stop was requested); does nothing during clean-up
     */
    static void ephemeralContainer(KubernetesClient client, PodRef ref, String name, String image, Duration timeout,
            Runnable beforeEachLook) {
        untilRunning(client, ref, name, image, timeout, beforeEachLook,
                pod -> pod.getStatus().getEphemeralContainerStatuses());
    }

    /** Waits for container {@code name} of meshcap's node pod {@code ref}; see {@link #ephemeralContainer}. */
    static void nodePod(KubernetesClient client, PodRef ref, String name, String image, Duration timeout,
            Runnable beforeEachLook) {
        untilRunning(client, ref, name, image, timeout, beforeEachLook, pod -> pod.getStatus().getContainerStatuses());
    }

    private static void untilRunning(KubernetesClient client, PodRef ref, String name, String image,
            Duration timeout, Runnable beforeEachLook, Function<Pod, List<ContainerStatus>> statuses) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no status yet";
        while (System.nanoTime() < deadline) {
            beforeEachLook.run();
            Pod pod = KubernetesClients.readPod(client, ref);
            if (pod == null) {
                throw MeshcapException.failure("pod " + ref + " disappeared while meshcap waited for its helper "
                        + "container " + name);
            }
            if (pod.getStatus() != null) {
                if (FAILED.equals(pod.getStatus().getPhase())) {
                    throw MeshcapException.failure("helper pod " + ref + " failed: "
                            + Optional.ofNullable(pod.getStatus().getMessage()).orElse("no reason given"));
                }
                Optional<String> unschedulable = unschedulable(pod);
                if (unschedulable.isPresent()) {
                    last = "not scheduled: " + unschedulable.get();
                }
                Optional<ContainerState> state = statuses.apply(pod).stream()
                        .filter(s -> name.equals(s.getName()))
                        .map(ContainerStatus::getState)
                        .filter(Objects::nonNull)
                        .findFirst();
                if (state.isPresent()) {
                    if (state.get().getRunning() != null) {
                        return;
                    }
                    last = describe(state.get(), ref, name, image);
                }
            }
            sleep();
        }
        throw MeshcapException.failure("helper container " + name + " in pod " + ref + " did not start within "
                + timeout.toSeconds() + "s (" + last + "); check: kubectl describe pod -n " + ref.namespace() + " "
                + ref.name());
    }

    private static String describe(ContainerState state, PodRef ref, String name, String image) {
        ContainerStateWaiting waiting = state.getWaiting();
        if (waiting != null) {
            String reason = Optional.ofNullable(waiting.getReason()).orElse("waiting");
            if (HOPELESS.contains(reason)) {
                throw MeshcapException.failure("helper container " + name + " in pod " + ref + " cannot start: "
                        + reason + (waiting.getMessage() == null ? "" : " (" + waiting.getMessage() + ")")
                        + "; check that the node can pull " + image + ", or pass --image with a reachable copy");
            }
            return reason;
        }
        ContainerStateTerminated terminated = state.getTerminated();
        if (terminated != null) {
            throw MeshcapException.failure("helper container " + name + " in pod " + ref + " exited ("
                    + terminated.getExitCode() + ", " + terminated.getReason() + ") before meshcap could use it");
        }
        return "unknown state";
    }

    private static Optional<String> unschedulable(Pod pod) {
        return pod.getStatus().getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                .map(PodCondition::getMessage)
                .findFirst();
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while waiting for the helper container", e);
        }
    }
}
