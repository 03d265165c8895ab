package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodePodSpecTest {

    private final Pod pod = NodePodSpec.build("meshcap-node-abc123-x7k2p", new PodRef("shop", "reviews-v1-7d9c"), "worker-2",
            "nicolaka/netshoot:v0.13", "abc123", Duration.ofHours(1));

    @Test
    void nameLabelsAndTarget() {
        assertEquals("meshcap-node-abc123-x7k2p", pod.getMetadata().getName());
        assertNull(pod.getMetadata().getGenerateName());
        assertTrue(NodePodSpec.newName("abc123").matches("meshcap-node-abc123-[a-z0-9]{5}"), NodePodSpec.newName("abc123"));
        assertEquals("shop", pod.getMetadata().getNamespace());
        assertEquals(Map.of("app.kubernetes.io/managed-by", "meshcap", "meshcap.io/run", "abc123",
                "istio.io/dataplane-mode", "none"), pod.getMetadata().getLabels());
        assertEquals("shop/reviews-v1-7d9c", pod.getMetadata().getAnnotations().get("meshcap.io/target"));
    }

    @Test
    void keptOutOfTheMesh() {
        assertEquals("false", pod.getMetadata().getAnnotations().get("sidecar.istio.io/inject"));
    }

    @Test
    void pinnedToTheNodeInTheHostPidNamespaceToleratingEverything() {
        assertEquals("worker-2", pod.getSpec().getNodeName());
        assertTrue(pod.getSpec().getHostPID());
        assertFalse(Boolean.TRUE.equals(pod.getSpec().getHostNetwork()));
        assertEquals(1, pod.getSpec().getTolerations().size());
        assertEquals("Exists", pod.getSpec().getTolerations().get(0).getOperator());
        assertNull(pod.getSpec().getTolerations().get(0).getKey());
        assertNull(pod.getSpec().getTolerations().get(0).getEffect());
    }

    @Test
    void privilegedRootContainerThatEndsByItself() {
        Container container = pod.getSpec().getContainers().get(0);
        assertEquals("meshcap", container.getName());
        assertEquals("nicolaka/netshoot:v0.13", container.getImage());
        assertTrue(container.getSecurityContext().getPrivileged());
        assertEquals(0L, container.getSecurityContext().getRunAsUser());
        assertEquals(CaptureArgv.idle(3600), container.getCommand());
        assertEquals(3600L, pod.getSpec().getActiveDeadlineSeconds());
        assertEquals("Never", pod.getSpec().getRestartPolicy());
        assertFalse(pod.getSpec().getAutomountServiceAccountToken());
    }
}
