package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.List;

/**
 * Adds an ephemeral debug container with NET_ADMIN and NET_RAW that targets the proxy container, waits until
 * it runs, and captures in it. Ephemeral containers cannot be removed from a pod; clean-up ends the
 * container's idle process, which stops the container (it stays listed as terminated until the pod goes).
 */
final class EphemeralContainerLauncher implements CaptureLauncher {

    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(15);
    private static final String ALTERNATIVE = "or use --strategy node";

    private final KubernetesClient client;
    private final PodExec exec;
    private final PodInfo pod;
    private final ContainerInfo container;
    private final LaunchSettings settings;
    // Set during set-up, read by leg threads and by clean-up (which may run on the shutdown hook).
    private volatile boolean added;
    private volatile boolean cleaned;
    private volatile ExecTarget target;

    EphemeralContainerLauncher(KubernetesClient client, PodExec exec, PodInfo pod, ContainerInfo container,
            LaunchSettings settings) {
        this.client = client;
        this.exec = exec;
        this.pod = pod;
        this.container = container;
        this.settings = settings;
    }

    @Override
    public Strategy strategy() {
        return Strategy.EPHEMERAL;
    }

    @Override
    public void setUp() {
        String name = settings.ephemeralContainerName();
        EphemeralContainer debug = EphemeralContainerSpec.build(name, settings.image(), container.name(),
                settings.lifetime());
        try {
            client.pods().inNamespace(pod.namespace()).withName(pod.name()).ephemeralContainers()
                    .edit(current -> new PodBuilder(current).editSpec().addToEphemeralContainers(debug).endSpec()
                            .build());
        } catch (KubernetesClientException e) {
            throw explain(e);
        }
        added = true;
        HelperWait.ephemeralContainer(client, pod.ref(), name, settings.image(), settings.readyTimeout());
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
        return ApiFailures.explain(e, "add an ephemeral container to pod " + pod.ref(), ALTERNATIVE);
    }

    @Override
    public ExecTarget target() {
        if (target == null) {
            throw new IllegalStateException("ephemeral container launcher not set up");
        }
        return target;
    }

    @Override
    public String cleanUp() {
        if (!added || cleaned) {
            return null;
        }
        cleaned = true;
        ExecTarget helper = new ExecTarget(pod.namespace(), pod.name(), settings.ephemeralContainerName(), List.of());
        try {
            CommandResult released = exec.run(helper, CaptureArgv.release(), RELEASE_TIMEOUT);
            if (released.ok()) {
                return null;
            }
            return notReleased(released.diagnostic());
        } catch (RuntimeException e) {
            return notReleased(e.getMessage());
        }
    }

    private String notReleased(String why) {
        return "could not stop ephemeral container " + settings.ephemeralContainerName() + " in pod " + pod.ref()
                + " (" + why + "); it idles until its lifetime of " + settings.lifetime().toHours()
                + "h ends, or run: meshcap cleanup -n " + pod.namespace();
    }
}
