package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Netfilter walks a chain in order: what an early rule takes, later rules never see, and a jump needs a target. */
class RuleOrderTest {

    private static final String DEFAULT = RuleDumps.text("default-injection.iptables-save");
    private static final String OUTBOUND_JUMP = "-A ISTIO_OUTPUT -j ISTIO_REDIRECT";
    private static final String INBOUND_JUMP = "-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT";
    private static final String INBOUND_REDIRECT = "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006\n";

    private static List<String> warnings(InterceptionModel model) {
        return InterceptionAdvisor.advise(model, PortGuide.bundled()).stream()
                .filter(a -> a.level() == Advice.Level.WARNING).map(Advice::text).toList();
    }

    @Test
    void anUnconditionalReturnBeforeTheOutboundJumpTurnsOutboundInterceptionOff() {
        String dump = DEFAULT.replace(OUTBOUND_JUMP, "-A ISTIO_OUTPUT -j RETURN\n" + OUTBOUND_JUMP);
        InterceptionModel model = RuleDumpReader.read(dump);
        int returnLine = lineOf(dump, "-A ISTIO_OUTPUT -j RETURN");
        assertAll(
                () -> assertEquals(List.of(new ShadowingRule(returnLine, "-A ISTIO_OUTPUT -j RETURN", "ISTIO_OUTPUT",
                        List.of(returnLine + 1))), model.shadowingRules()),
                () -> assertFalse(model.interceptsOutbound(), "outbound"),
                () -> assertTrue(model.interceptsInbound(), "inbound"),
                () -> assertEquals(List.of(), model.unrecognised()),
                () -> assertEquals(List.of("line " + returnLine + " (-A ISTIO_OUTPUT -j RETURN) in ISTIO_OUTPUT takes every"
                        + " packet that the rule(s) after it on line(s) " + (returnLine + 1)
                        + " would match, so those never apply; what follows is read without them",
                        "no outbound interception: the app's calls leave eth0 directly from its own port, in plaintext;"
                                + " there is no outbound lo leg"), warnings(model)));
    }

    @Test
    void aJumpToAChainThatRedirectsEverythingHidesTheExclusionsAfterIt() {
        String moved = DEFAULT.replace(INBOUND_JUMP + "\n", "")
                .replace("-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN", INBOUND_JUMP
                        + "\n-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN");
        InterceptionModel model = RuleDumpReader.read(moved);
        assertEquals(1, model.shadowingRules().size(), model.shadowingRules()::toString);
        assertEquals(4, model.shadowingRules().get(0).shadowedLines().size());
        assertEquals(List.of(), List.copyOf(model.inboundExcludedPorts()), "the exclusions never apply");
        assertTrue(model.interceptsInbound());
    }

    @Test
    void aReturnForAnotherProtocolHidesNothing() {
        String dump = DEFAULT.replace(OUTBOUND_JUMP, "-A ISTIO_OUTPUT -p udp -j RETURN\n" + OUTBOUND_JUMP);
        InterceptionModel model = RuleDumpReader.read(dump);
        assertEquals(List.of(), model.shadowingRules());
        assertTrue(model.interceptsOutbound());
    }

    @Test
    void inboundWithoutItsRedirectRuleIsNotIntercepted() {
        InterceptionModel model = RuleDumpReader.read(DEFAULT.replace(INBOUND_REDIRECT, ""));
        assertAll(
                () -> assertNull(model.inboundRedirectPort()),
                () -> assertFalse(model.interceptsInbound()),
                () -> assertTrue(model.interceptsOutbound()),
                () -> assertEquals(LoopbackSource.NONE, model.inboundLoopbackSource()),
                () -> assertTrue(model.notes().contains("inbound rules send traffic on to the proxy, but no rule redirects"
                        + " it to a port: inbound traffic is not intercepted"), model.notes()::toString),
                () -> assertTrue(warnings(model).stream().anyMatch(w -> w.startsWith("no inbound interception")),
                        () -> warnings(model).toString()));
    }

    private static int lineOf(String dump, String fragment) {
        List<String> lines = dump.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).equals(fragment)) {
                return i + 1;
            }
        }
        throw new AssertionError(fragment + " not in dump");
    }
}
