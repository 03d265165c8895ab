package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.meshcap.capture.StopSignal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Removes what meshcap runs left behind when they could not clean up (the process was killed, the connection
 * lost): node pods, found by label and deleted; ephemeral debug containers, found by name prefix (they cannot
 * carry labels) and stopped, since the API cannot remove them from a pod; key-logging EnvoyFilters (--decrypt),
 * found by label and deleted with the key file they made a sidecar write. Before touching anything it asks
 * the API whether it may (SelfSubjectAccessReview), so what it cannot remove is named with the reason.
 */
public final class LeftoverCleanup {

    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(15);
    private static final String FIX = "grant it (see examples/rbac.yaml, Role meshcap-cleanup)";

    private final KubernetesClient client;
    private final PodExec exec;
    private final AccessReview access;

    /** @param notes receives notes ({@code note: ...}) about permissions that could not be checked */
    public LeftoverCleanup(KubernetesClient client, Consumer<String> notes) {
        this.client = client;
        this.exec = new PodExec(client, StopSignal.manual());
        this.access = new AccessReview(client, notes);
    }

    /**
     * What was (or, on a dry run, would be) removed, as {@code ns/name} and {@code ns/pod (container)}, and
     * what could not be, each with the reason and what to do.
     */
    public record Report(List<String> deletedPods, List<String> stoppedContainers, List<String> deletedFilters,
            List<String> problems) {
        public Report {
            deletedPods = List.copyOf(deletedPods);
            stoppedContainers = List.copyOf(stoppedContainers);
            deletedFilters = List.copyOf(deletedFilters);
            problems = List.copyOf(problems);
        }
    }

    /**
     * @param namespace one namespace, or empty for all namespaces
     * @param runId     only what this run created, or empty for every run
     * @param dryRun    only report what would be removed (and what could not be)
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
                Optional<String> denied = denied(Permission.pods("delete", pod.getMetadata().getNamespace()));
                if (denied.isPresent()) {
                    problems.add("cannot delete node pod " + name + ": " + denied.get());
                } else if (dryRun || delete(pod, name, problems)) {
                    deleted.add(name);
                }
            }
            for (Pod pod : pods(namespace).list().getItems()) {
                for (ContainerStatus helper : helpers(pod, containerPrefix)) {
                    String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + " ("
                            + helper.getName() + ")";
                    Optional<String> denied = denied(Permission.podExec(pod.getMetadata().getNamespace()));
                    if (helper.getState() == null || helper.getState().getRunning() == null) {
                        problems.add("debug container " + name + " has not started yet, so it cannot be stopped now; "
                                + "run meshcap cleanup again once it runs (it stops by itself when its lifetime ends)");
                    } else if (denied.isPresent()) {
                        problems.add("cannot stop debug container " + name + ": " + denied.get()
                                + " (stopping it runs its release command through exec)");
                    } else if (dryRun || release(pod, helper.getName(), name, problems)) {
                        stopped.add(name);
                    }
                }
            }
        } catch (KubernetesClientException e) {
            throw ApiFailures.explain(client, e, "list pods " + where, "");
        }
        List<String> filters = new ArrayList<>();
        for (GenericKubernetesResource filter : envoyFilters(namespace, selector, where, problems)) {
            String name = filter.getMetadata().getNamespace() + "/" + filter.getMetadata().getName();
            Optional<String> denied = denied(Permission.envoyFilters("delete", filter.getMetadata().getNamespace()));
            if (denied.isPresent()) {
                problems.add("cannot delete EnvoyFilter " + name + " (its sidecars log TLS keys until it is gone): "
                        + denied.get());
            } else if (dryRun || deleteFilter(filter, name, problems)) {
                filters.add(name);
            }
        }
        return new Report(deleted, stopped, filters, problems);
    }

    /**
     * meshcap's key-logging EnvoyFilters ({@code --decrypt}); none where Istio is not installed (the API does not
     * serve the kind).
     */
    private List<GenericKubernetesResource> envoyFilters(Optional<String> namespace, String selector, String where,
            List<String> problems) {
        var filters = client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER);
        try {
            return (namespace.isPresent() ? filters.inNamespace(namespace.get()).withLabelSelector(selector)
                    : filters.inAnyNamespace().withLabelSelector(selector)).list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() == ApiFailures.NOT_FOUND) {
                return List.of();
            }
            problems.add("could not look for EnvoyFilters " + where + ": " + ApiFailures.explain(client, e,
                    "list envoyfilters " + where, "").getMessage() + " (Role meshcap-cleanup grants it)");
            return List.of();
        }
    }

    /**
     * Deletes a key-logging EnvoyFilter, then the key file it made the target's sidecar write (named by its
     * annotations), if the target is still there.
     */
    private boolean deleteFilter(GenericKubernetesResource filter, String name, List<String> problems) {
        try {
            client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER)
                    .inNamespace(filter.getMetadata().getNamespace()).withName(filter.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            problems.add("could not delete EnvoyFilter " + name + ": " + ApiFailures.explain(client, e,
                    "delete envoyfilter " + name, "").getMessage());
            return false;
        }
        Map<String, String> annotations = filter.getMetadata().getAnnotations();
        String target = annotations == null ? null : annotations.get(MeshcapObjects.TARGET_ANNOTATION);
        String keyLog = annotations == null ? null : annotations.get(KeyLogFilterSpec.KEY_LOG_ANNOTATION);
        String container = annotations == null ? null : annotations.get(KeyLogFilterSpec.KEY_LOG_CONTAINER_ANNOTATION);
        if (target == null || keyLog == null || container == null || !target.contains("/")) {
            return true;
        }
        String[] pod = target.split("/", 2);
        try {
            if (client.pods().inNamespace(pod[0]).withName(pod[1]).get() == null) {
                return true;
            }
            CommandResult removed = exec.runWhileStopping(new ExecTarget(pod[0], pod[1], container, List.of()),
                    ProxyArgv.remove(keyLog), RELEASE_TIMEOUT);
            if (!removed.ok()) {
                problems.add("deleted EnvoyFilter " + name + ", but not the key log " + keyLog + " in pod " + target
                        + " (rm exited " + removed.exitCode() + ": " + removed.diagnostic() + "); it goes with the pod");
            }
        } catch (RuntimeException e) {
            problems.add("deleted EnvoyFilter " + name + ", but not the key log " + keyLog + " in pod " + target + ": "
                    + e.getMessage() + "; it goes with the pod");
        }
        return true;
    }

    private Optional<String> denied(Permission permission) {
        return access.denied(List.of(permission)).isEmpty() ? Optional.empty()
                : Optional.of("you may not " + permission.describe() + "; " + FIX);
    }

    private FilterWatchListDeletable<Pod, PodList, PodResource> pods(Optional<String> namespace) {
        return namespace.isPresent() ? client.pods().inNamespace(namespace.get()) : client.pods().inAnyNamespace();
    }

    /** meshcap's debug containers in {@code pod} that have not ended: running, or still starting. */
    private static List<ContainerStatus> helpers(Pod pod, String prefix) {
        if (pod.getStatus() == null) {
            return List.of();
        }
        return pod.getStatus().getEphemeralContainerStatuses().stream()
                .filter(s -> s.getName().startsWith(prefix))
                .filter(s -> s.getState() == null || s.getState().getTerminated() == null)
                .toList();
    }

    private boolean delete(Pod pod, String name, List<String> problems) {
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
            return true;
        } catch (KubernetesClientException e) {
            problems.add("could not delete node pod " + name + ": " + ApiFailures.explain(client, e,
                    "delete pod " + name, "").getMessage());
            return false;
        }
    }

    private boolean release(Pod pod, String container, String name, List<String> problems) {
        ExecTarget helper = new ExecTarget(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), container,
                List.of());
        try {
            CommandResult result = exec.runWhileStopping(helper, CaptureArgv.release(), RELEASE_TIMEOUT);
            if (!result.ok()) {
                problems.add("could not stop debug container " + name + ": its release command exited "
                        + result.exitCode() + ": " + result.diagnostic());
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            problems.add("could not stop debug container " + name + ": " + e.getMessage());
            return false;
        }
    }
}
