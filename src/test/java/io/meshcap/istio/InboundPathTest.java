package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a call from outside reaches a listening socket, under real rule dumps (see {@code rules/README.md}). */
class InboundPathTest {

    private static final Optional<InterceptionModel> DEFAULT =
            Optional.of(RuleDumps.read("default-injection.iptables-save"));

    private static ListeningSocket tcp(String address, int port) {
        return new ListeningSocket("tcp", address, port, List.of());
    }

    private static String path(Optional<InterceptionModel> model, ListeningSocket socket) {
        return InboundPath.of(model, socket).description();
    }

    @Test
    void theDefaultInjectionSendsAppPortsThroughTheProxyAndLetsItsOwnPortsPast() {
        assertEquals("yes: through the proxy", path(DEFAULT, tcp("0.0.0.0", 8080)));
        assertEquals("the proxy's own capture port", path(DEFAULT, tcp("0.0.0.0", 15006)));
        assertEquals("the proxy's own capture port", path(DEFAULT, tcp("0.0.0.0", 15001)));
        // -d 15090,15021,15020: the proxy's metrics and health ports are excluded from inbound interception.
        assertEquals("no: port excluded, reaches the socket directly", path(DEFAULT, tcp("0.0.0.0", 15090)));
        assertEquals("no: bound to loopback, no calls from outside", path(DEFAULT, tcp("127.0.0.1", 15000)));
        assertEquals("no: bound to loopback, no calls from outside", path(DEFAULT, tcp("::1", 15000)));
        assertEquals("no: only TCP is intercepted inbound",
                path(DEFAULT, new ListeningSocket("udp", "0.0.0.0", 8080, List.of())));
    }

    @Test
    void includedPortsAloneGoThroughTheProxy() {
        Optional<InterceptionModel> include = Optional.of(RuleDumps.read("include-ports.iptables-save"));
        assertEquals("yes: through the proxy", path(include, tcp("0.0.0.0", 9090)));
        assertEquals("no: not an included port, reaches the socket directly", path(include, tcp("0.0.0.0", 8081)));
    }

    @Test
    void ambientsTunnelPortIsTheProxysOwn() {
        Optional<InterceptionModel> ambient = Optional.of(RuleDumps.read("ambient-inpod.iptables-save"));
        assertEquals("the proxy's own capture port", path(ambient, tcp("0.0.0.0", 15008)));
    }

    @Test
    void withoutRulesOrWithoutTheirDumpNothingIsKnownToGoThroughAProxy() {
        assertEquals("no: no Istio rules", path(Optional.of(RuleDumpReader.read("")), tcp("0.0.0.0", 8080)));
        assertEquals("unknown: the rules could not be read", path(Optional.empty(), tcp("0.0.0.0", 8080)));
        assertEquals("no: bound to loopback, no calls from outside", path(Optional.empty(), tcp("127.0.0.1", 8080)));
    }
}
