package io.meshcap.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.net.Addresses;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The legs a target, a preset group and the target's values turn into, written out by hand. */
class CapturePlannerTest {

    private static final PresetCatalogue CATALOGUE = PresetCatalogue.bundled();
    private static final FilterInputs POD = new FilterInputs(List.of(Addresses.parse("198.18.0.2", "test")),
            List.of(8080), new PortRange(32768, 60999), false, 15001, List.of());

    @Test
    void aGroupBecomesOneLegPerPresetEachSayingWhereAndWhatItCaptures() {
        CaptureLimits limits = new CaptureLimits(Duration.ofSeconds(30), 0, 0, 0);

        List<LegPlan> legs = CapturePlanner.plan("default/reviews-v1-abc", CATALOGUE.resolve("sidecar"), POD, null,
                limits, Map.of("namespace", "default"), FilterCheck.WHERE_IT_RUNS);

        assertEquals(List.of("reviews-v1-abc/eth0:inbound-mtls", "reviews-v1-abc/lo:inbound-plain",
                "reviews-v1-abc/lo:outbound-plain", "reviews-v1-abc/eth0:outbound-mtls"),
                legs.stream().map(LegPlan::label).toList());
        LegPlan outbound = legs.get(2);
        String filter = "(dst host 127.0.0.1 and dst port 15001) or (dst host 198.18.0.2 and dst portrange 32768-60999)";
        assertEquals(new LegPlan("default/reviews-v1-abc", "lo", "outbound-plain", filter, true, limits,
                Map.of("namespace", "default", "pod-ips", "198.18.0.2", "preset", "outbound-plain", "interface", "lo",
                        "capture-point", "after the REDIRECT", "filter", filter)), outbound);
        assertEquals("before the REDIRECT", legs.get(0).metadata().get("capture-point"));
        assertEquals(false, legs.get(0).reassociate());
    }

    @Test
    void theTargetsOwnPodAddressesAreKeptAndNoneAreInventedForAPodWithout() {
        List<LegPlan> told = CapturePlanner.plan("default/reviews-v1-abc", CATALOGUE.resolve("inbound-plain"), POD,
                "tcp", CaptureLimits.none(), Map.of("pod-ips", "198.18.0.2,2001:2::2"));
        assertEquals("198.18.0.2,2001:2::2", told.get(0).metadata().get("pod-ips"));
        assertEquals("((dst host 198.18.0.2 and dst port 8080) or (src host 198.18.0.2 and src port 8080)) and (tcp)",
                told.get(0).filter());

        FilterInputs gateway = new FilterInputs(List.of(), List.of(), new PortRange(32768, 60999), true, 15001,
                List.of(io.meshcap.net.Cidr.parse("10.0.0.0/8")));
        List<LegPlan> legs = CapturePlanner.plan("istio-system/ingress", CATALOGUE.resolve("gateway-upstream"), gateway,
                null, CaptureLimits.none(), Map.of());
        assertNull(legs.get(0).metadata().get("pod-ips"));
        assertEquals("tcp and src net 10.0.0.0/8 and dst net 10.0.0.0/8", legs.get(0).filter());
    }

    @Test
    void targetFactsOfNothingLeaveEveryValueToTheFlags() {
        TargetFacts none = TargetFacts.none();
        assertEquals("flags", none.name());
        assertTrue(none.addresses().isEmpty() && none.appPorts().isEmpty() && none.proxyUids().isEmpty());
        assertNull(none.ephemeralRange());
        assertNull(none.outboundPort());
    }

    @Test
    void aClusterCaptureHasItsFiltersCheckedHereWhenThisMachineHasLibpcap() {
        // The test machine has libpcap (tcpdump runs on it).
        assertTrue(BpfCompiler.available());
        assertEquals(FilterCheck.HERE, FilterCheck.forCluster());
    }
}
