package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LegPlanTest {

    @Test
    void theMetadataKeepsTheOrderItWasGivenInSoEveryRunDescribesTheLegAlike() {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("namespace", "shop");
        given.put("pod", "reviews-v1-abc");
        given.put("node", "node-1");
        given.put("pod-ips", "198.18.0.7");
        given.put("istio-version", "1.24.2");
        given.put("proxy-uid", "1337");
        LegPlan leg = new LegPlan("shop/reviews-v1-abc", "lo", "inbound-plain", "tcp", false, CaptureLimits.none(),
                given);
        given.clear();
        assertEquals(List.of("namespace", "pod", "node", "pod-ips", "istio-version", "proxy-uid"),
                List.copyOf(leg.metadata().keySet()));
        assertEquals("namespace=shop; pod=reviews-v1-abc; node=node-1; pod-ips=198.18.0.7; istio-version=1.24.2;"
                + " proxy-uid=1337", CaptureSession.describe(leg.metadata()));
        assertThrows(UnsupportedOperationException.class, () -> leg.metadata().put("container", "istio-proxy"));
    }
}
