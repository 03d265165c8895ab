package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import java.util.List;

/**
 * tcpdump inside the target container itself (istio-proxy). Creates nothing, but only works when the
 * container runs privileged: Istio's proxy drops every capability unless
 * {@code values.global.proxy.privileged=true}.
 */
final class ExecLauncher implements CaptureLauncher {

    private final ClusterRun run;
    private final PodExec exec;
    private final PodInfo pod;
    private final ContainerInfo container;
    // Set during set-up, read by leg threads.
    private volatile ExecTarget target;

    ExecLauncher(ClusterRun run, PodExec exec, PodInfo pod, ContainerInfo container) {
        this.run = run;
        this.exec = exec;
        this.pod = pod;
        this.container = container;
    }

    @Override
    public Strategy strategy() {
        return Strategy.EXEC;
    }

    @Override
    public void setUp() {
        if (!container.privileged()) {
            throw MeshcapException.failure("container " + container.name() + " of pod " + pod.ref()
                    + " is not privileged, so tcpdump cannot capture in it (Istio runs the proxy privileged only "
                    + "with values.global.proxy.privileged=true); use --strategy ephemeral or node");
        }
        run.access().require(List.of(Permission.pods("get", pod.namespace()), Permission.podExec(pod.namespace())),
                strategy(), "");
        ExecTarget candidate = new ExecTarget(pod.namespace(), pod.name(), container.name(), List.of());
        exec.requireTcpdump(candidate, "its image " + container.image()
                + " does not ship it (Istio's distroless images never do); use --strategy ephemeral or node");
        target = candidate;
    }

    @Override
    public ExecTarget target() {
        if (target == null) {
            throw new IllegalStateException("exec launcher not set up");
        }
        return target;
    }

    /** Nothing was created; the legs' tcpdumps are stopped by the source. */
    @Override
    public String cleanUp() {
        return null;
    }
}
