package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A privileged pod pinned to the target's node, in the host PID namespace: it finds a process of the target
 * container by its container ID and runs every command under {@code nsenter -n -t PID}. Clean-up deletes it.
 */
final class NodePodLauncher implements CaptureLauncher {

    private static final Pattern CONTAINER_ID = Pattern.compile("[0-9a-f]{12,128}");
    private static final Pattern PID = Pattern.compile("\\d{1,10}");
    private static final Duration FIND_PID_TIMEOUT = Duration.ofSeconds(30);
    private static final String ALTERNATIVE = "or use --strategy ephemeral";

    private final KubernetesClient client;
    private final PodExec exec;
    private final PodInfo pod;
    private final ContainerInfo container;
    private final LaunchSettings settings;
    // Set during set-up, read by leg threads and by clean-up (which may run on the shutdown hook).
    private volatile String helperName;
    private volatile boolean deleted;
    private volatile ExecTarget target;

    NodePodLauncher(KubernetesClient client, PodExec exec, PodInfo pod, ContainerInfo container,
            LaunchSettings settings) {
        this.client = client;
        this.exec = exec;
        this.pod = pod;
        this.container = container;
        this.settings = settings;
    }

    @Override
    public Strategy strategy() {
        return Strategy.NODE;
    }

    @Override
    public void setUp() {
        if (pod.node().isEmpty()) {
            throw MeshcapException.failure("pod " + pod.ref() + " is not scheduled on a node yet");
        }
        if (!CONTAINER_ID.matcher(container.containerId()).matches()) {
            throw MeshcapException.failure("container " + container.name() + " of pod " + pod.ref()
                    + " has no usable container ID ('" + container.containerId() + "'), so its process cannot be "
                    + "found on the node; wait until it runs, or use --strategy ephemeral");
        }
        Pod spec = NodePodSpec.build(pod.ref(), pod.node(), settings.image(), settings.runId(), settings.lifetime());
        try {
            helperName = client.pods().inNamespace(pod.namespace()).resource(spec).create().getMetadata().getName();
        } catch (KubernetesClientException e) {
            throw ApiFailures.explain(e, "create a privileged pod on node " + pod.node() + " in namespace "
                    + pod.namespace(), ALTERNATIVE);
        }
        PodRef helper = new PodRef(pod.namespace(), helperName);
        HelperWait.nodePod(client, helper, NodePodSpec.CONTAINER, settings.image(), settings.readyTimeout());
        ExecTarget inHelper = new ExecTarget(pod.namespace(), helperName, NodePodSpec.CONTAINER, List.of());
        exec.requireTcpdump(inHelper, "pass --image with an image that has tcpdump, nsenter, iptables and nft "
                + "(default " + LaunchSettings.DEFAULT_IMAGE + ")");
        CommandResult found = exec.run(inHelper, CaptureArgv.findPid(container.containerId()), FIND_PID_TIMEOUT);
        String pid = found.stdout().strip();
        if (!found.ok() || !PID.matcher(pid).matches()) {
            throw MeshcapException.failure("could not find a process of container " + container.name() + " on node "
                    + pod.node() + " (" + found.diagnostic() + "); use --strategy ephemeral");
        }
        target = new ExecTarget(pod.namespace(), helperName, NodePodSpec.CONTAINER,
                CaptureArgv.nsenter(Long.parseLong(pid)));
    }

    @Override
    public ExecTarget target() {
        if (target == null) {
            throw new IllegalStateException("node pod launcher not set up");
        }
        return target;
    }

    @Override
    public String cleanUp() {
        if (helperName == null || deleted) {
            return null;
        }
        deleted = true;
        try {
            client.pods().inNamespace(pod.namespace()).withName(helperName).withGracePeriod(0).delete();
            return null;
        } catch (KubernetesClientException e) {
            return "could not delete node pod " + pod.namespace() + "/" + helperName + " (" + e.getMessage()
                    + "); delete it with: kubectl delete pod -n " + pod.namespace() + " " + helperName
                    + " (or meshcap cleanup -n " + pod.namespace() + ")";
        }
    }
}
