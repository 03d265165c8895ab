package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.util.Map;

/**
 * The privileged helper pod for the node strategy: pinned to the target's node, in the host PID namespace
 * (to find the target container's process and nsenter its network namespace), tolerating every taint,
 * labelled as meshcap's, with a generated name and a hard deadline.
 */
public final class NodePodSpec {

    /** The helper's container name. */
    public static final String CONTAINER = "meshcap";
    /** Node pods are named {@code meshcap-node-RUN-XXXXX}. */
    public static final String NAME_PREFIX = MeshcapObjects.NAME_PREFIX + "node-";
    private static final int SUFFIX_LENGTH = 5;
    // The helper lives in the target's namespace, which is usually in the mesh: it must not get a sidecar
    // (its init container would rewrite the helper's rules and delay it) nor be captured by ztunnel.
    static final String SIDECAR_INJECT_ANNOTATION = "sidecar.istio.io/inject";
    static final String AMBIENT_MODE_LABEL = "istio.io/dataplane-mode";
    static final String AMBIENT_OPT_OUT = "none";
    private static final String NEVER = "Never";
    private static final String EXISTS = "Exists";
    private static final String PULL_IF_NOT_PRESENT = "IfNotPresent";
    private static final long ROOT = 0;
    // Deleting the helper must not wait for a graceful stop: it holds nothing worth flushing.
    private static final long NO_GRACE = 0;

    private NodePodSpec() {
    }

    /**
     * A fresh name for a node pod of run {@code runId}. meshcap names the pod itself (rather than let the server
     * generate a name) so that it can delete it even when it was stopped while the create request was in flight.
     */
    public static String newName(String runId) {
        return NAME_PREFIX + runId + "-" + MeshcapObjects.randomId(SUFFIX_LENGTH);
    }

    /**
     * @param name     its name ({@link #newName})
     * @param target   the pod to capture (its namespace hosts the helper)
     * @param node     the node to pin to
     * @param image    the helper image (tcpdump, nsenter, iptables, nft, ss, ip)
     * @param runId    the run that creates it
     * @param lifetime how long it may live at most (activeDeadlineSeconds and its idle process)
     */
    public static Pod build(String name, PodRef target, String node, String image, String runId, Duration lifetime) {
        return new PodBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(target.namespace())
                    .withLabels(Map.of(
                            MeshcapObjects.MANAGED_BY_LABEL, MeshcapObjects.MANAGED_BY_VALUE,
                            MeshcapObjects.RUN_LABEL, runId,
                            AMBIENT_MODE_LABEL, AMBIENT_OPT_OUT))
                    .withAnnotations(Map.of(
                            MeshcapObjects.TARGET_ANNOTATION, target.toString(),
                            SIDECAR_INJECT_ANNOTATION, "false"))
                .endMetadata()
                .withNewSpec()
                    .withNodeName(node)
                    .withHostPID(true)
                    .withRestartPolicy(NEVER)
                    .withActiveDeadlineSeconds(lifetime.toSeconds())
                    .withTerminationGracePeriodSeconds(NO_GRACE)
                    // It talks to no API: no token mounted.
                    .withAutomountServiceAccountToken(false)
                    .addNewToleration().withOperator(EXISTS).endToleration()
                    .addNewContainer()
                        .withName(CONTAINER)
                        .withImage(image)
                        .withImagePullPolicy(PULL_IF_NOT_PRESENT)
                        .withCommand(CaptureArgv.idle(lifetime.toSeconds()))
                        .withNewSecurityContext()
                            .withPrivileged(true)
                            .withRunAsUser(ROOT)
                            .withRunAsNonRoot(false)
                        .endSecurityContext()
                    .endContainer()
                .endSpec()
                .build();
    }
}
