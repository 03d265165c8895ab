package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import java.time.Duration;
import java.util.List;

/**
 * The ephemeral debug container, like {@code kubectl debug --profile=netadmin --target=istio-proxy}:
 * it shares the target container's process namespace and the pod's network namespace, and has just the
 * two capabilities tcpdump and iptables-save need.
 */
public final class EphemeralContainerSpec {

    /** Capabilities to capture packets (NET_RAW) and read netfilter rules (NET_ADMIN). */
    public static final List<String> CAPABILITIES = List.of("NET_ADMIN", "NET_RAW");
    // Capabilities only work for root in the container; pods often set runAsNonRoot at pod level.
    private static final long ROOT = 0;
    private static final String PULL_IF_NOT_PRESENT = "IfNotPresent";

    private EphemeralContainerSpec() {
    }

    /**
     * @param name            the container name ({@link LaunchSettings#ephemeralContainerName()})
     * @param image           the debug image
     * @param targetContainer the container whose process namespace it joins (istio-proxy)
     * @param lifetime        how long its idle process lives if nobody ends it
     */
    public static EphemeralContainer build(String name, String image, String targetContainer, Duration lifetime) {
        return new EphemeralContainerBuilder()
                .withName(name)
                .withImage(image)
                .withImagePullPolicy(PULL_IF_NOT_PRESENT)
                .withCommand(CaptureArgv.idle(lifetime.toSeconds()))
                .withTargetContainerName(targetContainer)
                .withStdin(false)
                .withTty(false)
                .withNewSecurityContext()
                    .withRunAsUser(ROOT)
                    .withRunAsNonRoot(false)
                    .withNewCapabilities().withAdd(CAPABILITIES).endCapabilities()
                .endSecurityContext()
                .build();
    }
}
