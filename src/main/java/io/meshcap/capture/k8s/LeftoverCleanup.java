package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Removes what meshcap runs left behind when they could not clean up (the process was killed, the connection
 * lost): node pods, found by label and deleted; ephemeral debug containers, found by name prefix (they cannot
 * carry labels) and stopped, since the API cannot remove them from a pod.
 */
public final class LeftoverCleanup {

    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(15);

    private final KubernetesClient client;
    private final PodExec exec;

    public LeftoverCleanup(KubernetesClient client) {
        this.client = client;
        this.exec = new PodExec(client);
    }

    /**
     * What was (or, on a dry run, would be) removed, as {@code ns/name} and {@code ns/pod (container)}, and
     * what could not be, with what to do by hand.
     */
    public record Report(List<String> deletedPods, List<String> stoppedContainers, List<String> problems) {
        public Report {
            deletedPods = List.copyOf(deletedPods);
            stoppedContainers = List.copyOf(stoppedContainers);
            problems = List.copyOf(problems);
        }
    }

    /**
     * @param namespace one namespace, or empty for all namespaces
     * @param runId     only what this run created, or empty for every run
     * @param dryRun    only report what would be removed
     */
    public Report run(Optional<String> namespace, Optional<String> runId, boolean dryRun) {
        String selector = MeshcapObjects.SELECTOR + runId.map(id -> "," + MeshcapObjects.RUN_LABEL + "=" + id).orElse("");
        String containerPrefix = MeshcapObjects.NAME_PREFIX + runId.orElse("");
        List<String> deleted = new ArrayList<>();
        List<String> stopped = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String where = namespace.map(ns -> "in namespace " + ns).orElse("in any namespace");
        try {
            for (Pod pod : pods(namespace).withLabelSelector(selector).list().getItems()) {
                String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
                if (!dryRun) {
                    delete(pod, name, problems);
                }
                deleted.add(name);
            }
            for (Pod pod : pods(namespace).list().getItems()) {
                for (String container : runningHelpers(pod, containerPrefix)) {
                    String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + " (" + container + ")";
                    if (!dryRun) {
                        release(pod, container, name, problems);
                    }
                    stopped.add(name);
                }
            }
        } catch (KubernetesClientException e) {
            throw ApiFailures.explain(e, "list pods " + where, "");
        }
        return new Report(deleted, stopped, problems);
    }

    private FilterWatchListDeletable<Pod, PodList, PodResource> pods(Optional<String> namespace) {
        return namespace.isPresent() ? client.pods().inNamespace(namespace.get()) : client.pods().inAnyNamespace();
    }

    private static List<String> runningHelpers(Pod pod, String prefix) {
        if (pod.getStatus() == null) {
            return List.of();
        }
        return pod.getStatus().getEphemeralContainerStatuses().stream()
                .filter(s -> s.getName().startsWith(prefix))
                .filter(s -> s.getState() != null && s.getState().getRunning() != null)
                .map(ContainerStatus::getName)
                .toList();
    }

    private void delete(Pod pod, String name, List<String> problems) {
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            problems.add("could not delete pod " + name + ": " + ApiFailures.explain(e, "delete pod " + name, "")
                    .getMessage());
        }
    }

    private void release(Pod pod, String container, String name, List<String> problems) {
        ExecTarget helper = new ExecTarget(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), container,
                List.of());
        try {
            CommandResult result = exec.run(helper, CaptureArgv.release(), RELEASE_TIMEOUT);
            if (!result.ok()) {
                problems.add("could not stop " + name + ": exit " + result.exitCode() + ": " + result.diagnostic());
            }
        } catch (RuntimeException e) {
            problems.add("could not stop " + name + ": " + e.getMessage());
        }
    }
}
