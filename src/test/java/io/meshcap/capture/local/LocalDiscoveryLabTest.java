package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.cli.CliRun;
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
    void takesTheProxyUidAndRedirectPortsFromTheRules() {
        TargetFacts facts = LocalDiscovery.discover(pod());
        assertEquals(List.of((long) PROXY_UID), facts.proxyUids());
        assertEquals(IstioDefaults.OUTBOUND_CAPTURE_PORT, facts.outboundPort());
        assertEquals(IstioDefaults.INBOUND_CAPTURE_PORT, facts.inboundPort());
        assertEquals(List.of(8080, 9080), facts.appPorts(), "the sidecar's 15001/15006 are its uid's, not the app's");
        assertEquals(List.of(LabTopology.POD_IPV4),
                facts.addresses().stream().map(Addresses::format).toList());
        assertTrue(facts.notes().contains("from the redirect rules in " + LAB.topology().podNamespace()
                + ": outbound redirect port 15001, inbound redirect port 15006, proxy uid " + PROXY_UID), facts.notes().toString());
    }

    @Test
    void aGivenUidAddsToTheRulesRatherThanHidingThem() {
        TargetFacts facts = LocalDiscovery.discover(pod(), (int) IstioDefaults.PROXY_UID);
        assertEquals(List.of(8080, 9080), facts.appPorts());
        assertEquals(List.of((long) PROXY_UID), facts.proxyUids());
    }

    @Test
    void inspectShowsEachLegWithTheDiscoveredPodAndTheRulesOutboundPort() throws Exception {
        CliRun run = CliRun.of("inspect", "--json", "--netns", LAB.topology().podNamespace());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode legs = new ObjectMapper().readTree(run.out()).get("presetLegs");
        assertEquals(List.of("inbound-mtls", "inbound-plain", "outbound-plain", "outbound-mtls"),
                legs.findValuesAsText("preset"));
        assertEquals("(dst host 198.18.0.2 and dst port (8080 or 9080)) or (src host 198.18.0.2 and src port"
                + " (8080 or 9080))", legs.get(1).get("filter").asText());
        assertTrue(legs.get(2).get("filter").asText().startsWith("(dst host 127.0.0.1 and dst port 15001)"));
        assertEquals(0, legs.get(1).get("warnings").size(), legs.get(1).toString());
    }
}
