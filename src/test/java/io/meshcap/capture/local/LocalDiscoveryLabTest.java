package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.istio.IstioDefaults;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.net.Addresses;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.NetworkNamespace;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Discovery in a lab pod whose sidecar runs as a uid other than Istio's default, so only the rules can tell it. */
class LocalDiscoveryLabTest {

    private static final int PROXY_UID = 201507;

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withProxyUid(PROXY_UID));

    private static NetworkNamespace pod() {
        return NetworkNamespace.named(LAB.topology().podNamespace());
    }

    @Test
    void takesTheProxyUidAndOutboundPortFromTheRules() {
        TargetFacts facts = LocalDiscovery.discover(pod());
        assertEquals(List.of((long) PROXY_UID), facts.proxyUids());
        assertEquals(IstioDefaults.OUTBOUND_CAPTURE_PORT, facts.outboundPort());
        assertEquals(List.of(8080, 9080), facts.appPorts(), "the sidecar's 15001/15006 are its uid's, not the app's");
        assertEquals(List.of(LabTopology.POD_IPV4),
                facts.addresses().stream().map(Addresses::format).toList());
        assertTrue(facts.notes().contains("from the redirect rules in " + LAB.topology().podNamespace()
                + ": outbound redirect port 15001, proxy uid " + PROXY_UID), facts.notes().toString());
    }

    @Test
    void aGivenUidAddsToTheRulesRatherThanHidingThem() {
        TargetFacts facts = LocalDiscovery.discover(pod(), (int) IstioDefaults.PROXY_UID);
        assertEquals(List.of(8080, 9080), facts.appPorts());
        assertEquals(List.of((long) PROXY_UID), facts.proxyUids());
    }
}
