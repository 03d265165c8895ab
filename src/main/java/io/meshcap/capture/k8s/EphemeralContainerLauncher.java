package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Adds an ephemeral debug container with NET_ADMIN and NET_RAW that targets the proxy container, waits until
 * it runs, and captures in it. Ephemeral containers cannot be removed from a pod; clean-up ends the
 * container's idle process, which stops the container (it stays listed as terminated until the pod goes).
 * A container whose creation was under way when set-up gave up is looked for, waited for and stopped too.
 */
final class EphemeralContainerLauncher implements CaptureLauncher {

    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(15);
    // How long clean-up waits for a container that was still starting, so that it can be stopped.
    private static final Duration START_WAIT = Duration.ofSeconds(30);
    private static final String ALTERNATIVE = "or use --strategy node";

    private final ClusterRun run;
    private final PodExec exec;
    private final PodInfo pod;
    private final ContainerInfo container;
    private final String name;
    private final String object;
    // Set during set-up, read by clean-up.
    private volatile boolean requested;
    private volatile boolean cleaned;
    private volatile ExecTarget target;

    EphemeralContainerLauncher(ClusterRun run, PodExec exec, PodInfo pod, ContainerInfo container) {
        this.run = run;
        this.exec = exec;
        this.pod = pod;
        this.container = container;
        this.name = run.settings().ephemeralContainerName();
        this.object = "ephemeral container " + name + " in pod " + pod.ref();
    }

    @Override
    public Strategy strategy() {
        return Strategy.EPHEMERAL;
    }

    @Override
    public void setUp() {
        run.access().require(List.of(Permission.pods("get", pod.namespace()),
                Permission.patchEphemeralContainers(pod.namespace()), Permission.podExec(pod.namespace())),
                strategy(), ALTERNATIVE);
        run.stop().checkNotStopped("setting up in pod " + pod.ref());
        EphemeralContainer debug = EphemeralContainerSpec.build(name, run.settings().image(), container.name(),
                run.settings().lifetime());
        run.footprint().add(object, pod.namespace());
        requested = true;
        try {
            run.client().pods().inNamespace(pod.namespace()).withName(pod.name()).ephemeralContainers()
                    .edit(current -> new PodBuilder(current).editSpec().addToEphemeralContainers(debug).endSpec()
                            .build());
        } catch (KubernetesClientException e) {
            if (e.getCode() > 0) {
                // The server answered no: nothing was added.
                requested = false;
                run.footprint().remove(object);
            }
            throw explain(e);
        }
        HelperWait.ephemeralContainer(run.client(), pod.ref(), name, run.settings().image(),
                run.settings().readyTimeout(), () -> run.stop().checkNotStopped("waiting for " + object + " to run"));
        ExecTarget candidate = new ExecTarget(pod.namespace(), pod.name(), name, List.of());
        exec.requireTcpdump(candidate, "pass --image with an image that has tcpdump, iptables and nft (default "
                + LaunchSettings.DEFAULT_IMAGE + ")");
        target = candidate;
    }

    private MeshcapException explain(KubernetesClientException e) {
        String missingPod = "pods \"" + pod.name() + "\" not found";
        if (e.getCode() == ApiFailures.NOT_FOUND && !String.valueOf(e.getMessage()).contains(missingPod)) {
            return MeshcapException.failure("ephemeral containers are not supported by this cluster (the API has "
                    + "no pods/ephemeralcontainers; they need Kubernetes 1.25+); use --strategy node", e);
        }
        return ApiFailures.explain(run.client(), e, "add an ephemeral container to pod " + pod.ref(), ALTERNATIVE);
    }

    @Override
    public ExecTarget target() {
        if (target == null) {
            throw new IllegalStateException("ephemeral container launcher not set up");
        }
        return target;
    }

    /**
     * Stops the container if it exists: when set-up was stopped while the patch was in flight, or before the
     * container ran, the pod says whether it was added, and a container that is still starting is waited for.
     */
    @Override
    public String cleanUp() {
        if (!requested || cleaned) {
            return null;
        }
        cleaned = true;
        try {
            Optional<ContainerStatus> status = added();
            if (status.isEmpty() || status.get().getState() != null && status.get().getState().getTerminated() != null) {
                run.footprint().remove(object);
                return null;
            }
            if (status.get().getState() == null || status.get().getState().getRunning() == null) {
                run.notes().accept("note: " + object + " is still starting; waiting up to " + START_WAIT.toSeconds()
                        + " s for it to run, to stop it");
            }
            HelperWait.ephemeralContainer(run.client(), pod.ref(), name, run.settings().image(), START_WAIT, () -> { });
            ExecTarget helper = new ExecTarget(pod.namespace(), pod.name(), name, List.of());
            CommandResult released = exec.runWhileStopping(helper, CaptureArgv.release(), RELEASE_TIMEOUT);
            if (!released.ok()) {
                return notReleased("its release command exited " + released.exitCode() + ": " + released.diagnostic());
            }
            run.footprint().remove(object);
            return null;
        } catch (RuntimeException e) {
            return notReleased(e.getMessage());
        }
    }

    /** The container's status, or a blank one while it has none yet; empty when the pod does not have it. */
    private Optional<ContainerStatus> added() {
        Pod current = KubernetesClients.readPod(run.client(), pod.ref());
        if (current == null || current.getSpec() == null
                || current.getSpec().getEphemeralContainers().stream().noneMatch(c -> name.equals(c.getName()))) {
            return Optional.empty();
        }
        return Optional.of(current.getStatus() == null ? new ContainerStatus()
                : current.getStatus().getEphemeralContainerStatuses().stream()
                        .filter(s -> name.equals(s.getName())).findFirst().orElseGet(ContainerStatus::new));
    }

    private String notReleased(String why) {
        return "could not stop " + object + " (" + why + "); it idles until its lifetime of "
                + run.settings().lifetime().toHours() + "h ends, or run: "
                + run.footprint().cleanupCommand(run.settings().runId());
    }
}
