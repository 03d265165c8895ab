package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterceptionFactsTest {

    /** ss -Htlnupe in a lab pod: the stand-in sidecar as uid 1337, the app as root, a loopback-only admin port. */
    private static final String SOCKETS = """
            tcp LISTEN 0 50 0.0.0.0:15001 0.0.0.0:* users:(("java",pid=7,fd=9)) uid:1337 ino:1 sk:1 <->
            tcp LISTEN 0 50 0.0.0.0:15006 0.0.0.0:* users:(("java",pid=7,fd=10)) uid:1337 ino:2 sk:2 <->
            tcp LISTEN 0 50 [::]:9080 [::]:* users:(("java",pid=8,fd=9)) ino:3 sk:3 <->
            tcp LISTEN 0 50 0.0.0.0:8080 0.0.0.0:* users:(("java",pid=8,fd=8)) ino:4 sk:4 <->
            tcp LISTEN 0 50 127.0.0.1:15000 0.0.0.0:* users:(("envoy",pid=9,fd=8)) uid:2000 ino:5 sk:5 <->
            tcp LISTEN 0 50 [::1]:15004 [::]:* uid:2000 ino:6 sk:6 <->
            udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:7 sk:7 <->
            """;

    @Test
    void applicationPortsLeaveOutTheProxyLoopbackAndUdp() {
        InterceptionFacts facts = InterceptionFacts.unreadable("none", OptionalLong.empty());
        assertEquals(Set.of(IstioDefaults.PROXY_UID), facts.proxyUids());
        assertEquals(List.of(8080, 9080), facts.applicationPorts(SsParser.parse(SOCKETS).sockets()));
    }

    @Test
    void theRulesNameTheProxyUidAndBothRedirectPorts() {
        String dump = RuleDumps.text("seed-uid201507.iptables-save").replace("--to-ports 15001", "--to-ports 15101");

        InterceptionFacts facts = InterceptionFacts.read(dump, "shop/reviews", OptionalLong.empty());

        assertEquals(List.of(201507L), facts.ruleUids());
        assertEquals(Set.of(201507L), facts.proxyUids());
        assertEquals(15101, facts.outboundPort());
        assertEquals(15006, facts.inboundPort());
        assertEquals(List.of("from the redirect rules in shop/reviews: outbound redirect port 15101, inbound redirect"
                + " port 15006, proxy uid 201507"), facts.notes());
    }

    @Test
    void withoutIstioRulesTheDefaultUidIsAssumedAndSaid() {
        InterceptionFacts facts = InterceptionFacts.read("", "shop/reviews", OptionalLong.of(4242));

        assertNull(facts.outboundPort());
        assertEquals(Set.of(4242L), facts.proxyUids());
        assertTrue(facts.notes().contains("no Istio interception rules in shop/reviews"), facts.notes().toString());
    }
}
