package io.meshcap.capture.k8s;

import java.util.List;

/**
 * One container of a pod, as the API reports it.
 *
 * @param name        the container name
 * @param image       the image reference
 * @param tcpPorts    declared TCP container ports (declaring them is optional, so this may be incomplete)
 * @param containerId the runtime's ID without its scheme ({@code containerd://}), or empty when not started
 * @param running     whether its status says running
 * @param privileged  whether its securityContext is privileged
 * @param runAsUser   its effective runAsUser (container, else pod level), or -1 when neither sets one
 */
public record ContainerInfo(
        String name, String image, List<Integer> tcpPorts, String containerId, boolean running, boolean privileged,
        long runAsUser) {

    /** No runAsUser in the spec: the image's user applies. */
    public static final long UNSET_USER = -1;

    public ContainerInfo {
        tcpPorts = List.copyOf(tcpPorts);
    }
}
