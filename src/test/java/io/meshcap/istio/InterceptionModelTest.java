package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The questions a filter builder asks the model. */
class InterceptionModelTest {

    @Test
    void excludedPortIsNeverThroughTheProxy() {
        InterceptionModel model = RuleDumps.read("seed-uid1337-port22-mangled.iptables-save");
        assertTrue(model.interceptsInboundPort(8080));
        assertFalse(model.interceptsInboundPort(22));
        assertFalse(model.interceptsInboundPort(15090));
    }

    @Test
    void onlyIncludedPortsAreThroughTheProxy() {
        InterceptionModel model = RuleDumps.read("include-ports.iptables-save");
        assertTrue(model.interceptsInboundPort(9090));
        assertFalse(model.interceptsInboundPort(8081));
    }

    @Test
    void withoutRulesNothingIsIntercepted() {
        InterceptionModel model = RuleDumpReader.read("");
        assertFalse(model.interceptsInbound());
        assertFalse(model.interceptsInboundPort(8080));
        assertFalse(model.capturesDns());
    }

    @Test
    void loopbackSourceAddressesComeFromTheMode() {
        LoopbackSource redirect = RuleDumps.read("default-injection.iptables-save").inboundLoopbackSource();
        assertEquals("127.0.0.6", redirect.address(false));
        assertEquals("::6", redirect.address(true));
        LoopbackSource tproxy = RuleDumps.read("tproxy.iptables-legacy-save").inboundLoopbackSource();
        assertThrows(IllegalStateException.class, () -> tproxy.address(false));
    }

    @Test
    void modelIsImmutable() {
        InterceptionModel model = RuleDumps.read("default-injection.iptables-save");
        assertThrows(UnsupportedOperationException.class, () -> model.inboundExcludedPorts().add(1));
        assertThrows(UnsupportedOperationException.class, () -> model.notes().add("x"));
    }

    @Test
    void marksPrintAsIptablesDoes() {
        assertEquals("0x539/0xfff", SocketMark.parse("0x539/0xfff").toString());
        assertEquals("0x539", SocketMark.parse("1337").toString());
    }
}
