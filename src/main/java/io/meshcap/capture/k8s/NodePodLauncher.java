package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A privileged pod pinned to the target's node, in the host PID namespace: it finds a process of the target
 * container by its container ID and runs every command under {@code nsenter -n -t PID}. Clean-up deletes it,
 * by the name meshcap gave it, so also when set-up was stopped while the pod was being created.
 */
final class NodePodLauncher implements CaptureLauncher {

    private static final Pattern CONTAINER_ID = Pattern.compile("[0-9a-f]{12,128}");
    private static final Pattern PID = Pattern.compile("\\d{1,10}");
    private static final Duration FIND_PID_TIMEOUT = Duration.ofSeconds(30);
    private static final String ALTERNATIVE = "or use --strategy ephemeral";

    private final ClusterRun run;
    private final PodExec exec;
    private final PodInfo pod;
    private final ContainerInfo container;
    private final String helperName;
    private final String object;
    // Set during set-up, read by leg threads and by clean-up.
    private volatile boolean requested;
    private volatile boolean deleted;
    private volatile ExecTarget target;

    NodePodLauncher(ClusterRun run, PodExec exec, PodInfo pod, ContainerInfo container) {
        this.run = run;
        this.exec = exec;
        this.pod = pod;
        this.container = container;
        this.helperName = NodePodSpec.newName(run.settings().runId());
        this.object = "node pod " + pod.namespace() + "/" + helperName;
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
        String namespace = pod.namespace();
        run.access().require(List.of(Permission.pods("get", namespace), Permission.pods("create", namespace),
                Permission.pods("delete", namespace), Permission.podExec(namespace)), strategy(), ALTERNATIVE);
        run.stop().checkNotStopped("setting up for pod " + pod.ref());
        Pod spec = NodePodSpec.build(helperName, pod.ref(), pod.node(), run.settings().image(),
                run.settings().runId(), run.settings().lifetime());
        run.footprint().add(object, namespace);
        requested = true;
        try {
            run.client().pods().inNamespace(namespace).resource(spec).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() > 0) {
                requested = false;
                run.footprint().remove(object);
            }
            throw ApiFailures.explain(run.client(), e, "create a privileged pod on node " + pod.node()
                    + " in namespace " + namespace, ALTERNATIVE);
        }
        PodRef helper = new PodRef(namespace, helperName);
        HelperWait.nodePod(run.client(), helper, NodePodSpec.CONTAINER, run.settings().image(),
                run.settings().readyTimeout(), () -> run.stop().checkNotStopped("waiting for " + object + " to run"));
        ExecTarget inHelper = new ExecTarget(namespace, helperName, NodePodSpec.CONTAINER, List.of());
        exec.requireTcpdump(inHelper, "pass --image with an image that has tcpdump, nsenter, iptables and nft "
                + "(default " + LaunchSettings.DEFAULT_IMAGE + ")");
        CommandResult found = exec.run(inHelper, CaptureArgv.findPid(container.containerId()), FIND_PID_TIMEOUT);
        String pid = found.stdout().strip();
        if (!found.ok() || !PID.matcher(pid).matches()) {
            throw MeshcapException.failure("could not find a process of container " + container.name() + " on node "
                    + pod.node() + " (" + found.diagnostic() + "); use --strategy ephemeral");
        }
        target = new ExecTarget(namespace, helperName, NodePodSpec.CONTAINER, CaptureArgv.nsenter(Long.parseLong(pid)));
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
        if (!requested || deleted) {
            return null;
        }
        deleted = true;
        try {
            // A pod that was never created (the request was refused or never arrived) is simply not found.
            run.client().pods().inNamespace(pod.namespace()).withName(helperName).withGracePeriod(0).delete();
            run.footprint().remove(object);
            return null;
        } catch (KubernetesClientException e) {
            return "could not delete " + object + " (" + ApiFailures.explain(run.client(), e, "delete " + object, "")
                    .getMessage() + "); delete it with: kubectl delete pod -n " + pod.namespace() + " " + helperName
                    + " (or " + run.footprint().cleanupCommand(run.settings().runId()) + ")";
        }
    }
}
