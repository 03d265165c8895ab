package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.EphemeralContainer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EphemeralContainerSpecTest {

    private final EphemeralContainer spec = EphemeralContainerSpec.build("meshcap-abc123",
            "nicolaka/netshoot:v0.13", "istio-proxy", Duration.ofHours(2));

    @Test
    void targetsTheProxyWithTheDebugImage() {
        assertEquals("meshcap-abc123", spec.getName());
        assertEquals("nicolaka/netshoot:v0.13", spec.getImage());
        assertEquals("istio-proxy", spec.getTargetContainerName());
        assertFalse(spec.getStdin());
        assertFalse(spec.getTty());
    }

    @Test
    void hasOnlyNetAdminAndNetRawAsRootAndIsNotPrivileged() {
        assertEquals(List.of("NET_ADMIN", "NET_RAW"), spec.getSecurityContext().getCapabilities().getAdd());
        assertEquals(0L, spec.getSecurityContext().getRunAsUser());
        assertFalse(spec.getSecurityContext().getRunAsNonRoot());
        assertNull(spec.getSecurityContext().getPrivileged());
    }

    @Test
    void idlesForItsLifetime() {
        assertEquals(CaptureArgv.idle(7200), spec.getCommand());
    }
}
