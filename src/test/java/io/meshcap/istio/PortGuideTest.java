package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PortGuideTest {

    private final PortGuide guide = PortGuide.bundled();

    /** The sidecar ports design.md lists, all of them and no others. */
    @Test
    void holdsTheSidecarPortsOfTheDesignNotes() {
        Set<Integer> sidecar = guide.entries().stream().filter(e -> e.component().equals("sidecar"))
                .map(PortGuide.Entry::port).collect(Collectors.toSet());
        assertEquals(Set.of(15000, 15001, 15002, 15004, 15006, 15008, 15020, 15021, 15053, 15090), sidecar);
    }

    @Test
    void everyEntryIsComplete() {
        guide.entries().forEach(e -> assertTrue(!e.role().isBlank() && !e.capture().isBlank() && !e.bind().isBlank()
                && Set.of("tcp", "udp").contains(e.protocol()), e.toString()));
    }

    @Test
    void theOwningProcessDecidesTheComponent() {
        assertEquals("sidecar", guide.roleOf(15001, "tcp", "envoy").orElseThrow().component());
        assertEquals("ztunnel", guide.roleOf(15001, "tcp", null).orElseThrow().component());
        assertEquals("ztunnel", guide.roleOf(15080, "tcp", null).orElseThrow().component());
        assertEquals("istiod", guide.roleOf(15012, "tcp", "pilot-discovery").orElseThrow().component());
        assertEquals("gateway", guide.roleOf(15443, "tcp", "envoy").orElseThrow().component());
        assertEquals("DNS proxy (DNS capture target)", guide.roleOf(15053, "udp", "pilot-agent").orElseThrow().role());
        assertTrue(guide.roleOf(8080, "tcp", "java").isEmpty());
    }

    @Test
    void ownPortsAreTheComponentsOnly() {
        assertTrue(guide.isOwnPort("sidecar", 15090));
        assertTrue(!guide.isOwnPort("sidecar", 22));
    }
}
