package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class IstioRulesTest {

    /** The rules lines of design.md's default-injection dump, verbatim. */
    private static final List<String> DEFAULT_INJECTION = List.of(
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            ":INPUT ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]",
            ":ISTIO_INBOUND - [0:0]",
            ":ISTIO_IN_REDIRECT - [0:0]",
            ":ISTIO_OUTPUT - [0:0]",
            ":ISTIO_REDIRECT - [0:0]",
            "-A PREROUTING -p tcp -j ISTIO_INBOUND",
            "-A OUTPUT -p tcp -j ISTIO_OUTPUT",
            "-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN",
            "-A ISTIO_INBOUND -p tcp -m tcp --dport 15090 -j RETURN",
            "-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN",
            "-A ISTIO_INBOUND -p tcp -m tcp --dport 15020 -j RETURN",
            "-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT",
            "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
            "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN",
            "-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT",
            "-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN",
            "-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN",
            "-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT",
            "-A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN",
            "-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN",
            "-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN",
            "-A ISTIO_OUTPUT -j ISTIO_REDIRECT",
            "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
            "COMMIT");

    @Test
    void ipv4WithTheDefaultUidIsExactlyTheDefaultInjectionDump() {
        assertEquals(DEFAULT_INJECTION, rules(IstioRules.render(IpFamily.IPV4, 1337)));
    }

    @Test
    void theProxyUidIsSubstitutedEverywhere() {
        String rendered = IstioRules.render(IpFamily.IPV4, 201507);
        assertFalse(rendered.contains("1337"));
        assertEquals(6, rendered.split("-owner 201507", -1).length - 1, "three uid and three gid matches");
        assertFalse(rendered.contains("@"), "no placeholder left");
    }

    @Test
    void ipv6UsesItsOwnLoopbackAndInboundBindAddress() {
        List<String> rules = rules(IstioRules.render(IpFamily.IPV6, 1337));
        assertTrue(rules.contains("-A ISTIO_OUTPUT -s ::6/128 -o lo -j RETURN"));
        assertTrue(rules.contains("-A ISTIO_OUTPUT -d ::1/128 -j RETURN"));
        assertFalse(String.join("\n", rules).contains("127.0.0."));
    }

    private static List<String> rules(String rendered) {
        return rendered.lines().filter(line -> !line.startsWith("#")).toList();
    }
}
