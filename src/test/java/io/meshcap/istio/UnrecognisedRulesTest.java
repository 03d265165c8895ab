package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Nothing is dropped silently: what does not fit the model is reported with its line. */
class UnrecognisedRulesTest {

    private static final String DEFAULT = RuleDumps.text("default-injection.iptables-save");

    @Test
    void unknownOptionInAnIstioChainIsReportedAndTheRestStillRead() {
        String dump = DEFAULT.replace("-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN",
                "-A ISTIO_OUTPUT -d 127.0.0.1/32 -m statistic --mode random --probability 0.5 -j RETURN");
        InterceptionModel model = RuleDumpReader.read(dump);

        UnrecognisedRule only = single(model);
        assertEquals(lineOf(dump, "-m statistic"), only.line());
        assertEquals("unknown match module statistic", only.reason());
        assertEquals(InterceptionMode.REDIRECT, model.mode());
        assertEquals(15001, model.outboundRedirectPort());
    }

    @Test
    void aRuleNotUnderstoodLeavesTheModelAsItWas() {
        String dump = beforeLastCommit(DEFAULT, "-A ISTIO_OUTPUT -p udp -m owner --uid-owner 4242 -j ISTIO_WEIRD");
        InterceptionModel model = RuleDumpReader.read(dump);
        assertEquals("proxy-owner rule with an unexpected target ISTIO_WEIRD", single(model).reason());
        assertEquals(Set.of(1337L), model.proxyUids());
    }

    @Test
    void anAmbientRuleNotUnderstoodDoesNotMakeTheSidecarAmbient() {
        String dump = beforeLastCommit(DEFAULT, "-A ISTIO_PRERT -p tcp -j MASQUERADE");
        InterceptionModel model = RuleDumpReader.read(dump);
        assertEquals("ambient prerouting rule of a shape istio-cni does not write", single(model).reason());
        assertEquals(InterceptionMode.REDIRECT, model.mode());
    }

    @Test
    void ruleInAChainIstioDoesNotWriteIsReported() {
        String dump = beforeLastCommit(DEFAULT, "-A POSTROUTING -o eth0 -j MASQUERADE");
        UnrecognisedRule only = single(RuleDumpReader.read(dump));
        assertEquals(lineOf(dump, "MASQUERADE"), only.line());
        assertTrue(only.reason().contains("built-in chain POSTROUTING"), only.reason());
    }

    @Test
    void dropInvalidIsIstiosOwn() {
        int mangle = DEFAULT.indexOf("COMMIT");
        String dump = DEFAULT.substring(0, mangle) + "-A PREROUTING -m conntrack --ctstate INVALID -j DROP\n"
                + DEFAULT.substring(mangle);
        assertEquals(List.of(), RuleDumpReader.read(dump).unrecognised());
    }

    @Test
    void unknownIstioChainIsReported() {
        String dump = beforeLastCommit(DEFAULT, "-A ISTIO_FUTURE -p tcp -j RETURN");
        assertTrue(single(RuleDumpReader.read(dump)).reason().contains("ISTIO_FUTURE"));
    }

    @Test
    void tableWithoutCommitIsReported() {
        int last = DEFAULT.lastIndexOf("COMMIT");
        String dump = DEFAULT.substring(0, last) + DEFAULT.substring(last + "COMMIT".length());
        InterceptionModel model = RuleDumpReader.read(dump);
        assertEquals("table has no COMMIT line: the dump is cut short or two outputs are interleaved",
                single(model).reason());
        assertEquals(InterceptionMode.REDIRECT, model.mode());
    }

    @Test
    void garbageGivesNoInterceptionAndEveryLineReported() {
        String garbage = "Segmentation fault\n\u0000\u0001binary\n{\"not\": \"rules\"}\n";
        InterceptionModel model = RuleDumpReader.read(garbage);
        assertEquals(InterceptionMode.NONE, model.mode());
        assertEquals(RuleBackend.NONE, model.backend());
        assertEquals(List.of(1, 2, 3), model.unrecognised().stream().map(UnrecognisedRule::line).toList());
    }

    @Test
    void emptyDumpIsNoInterception() {
        InterceptionModel model = RuleDumpReader.read("");
        assertEquals(InterceptionMode.NONE, model.mode());
        assertEquals(List.of(), model.unrecognised());
        assertEquals(LoopbackSource.NONE, model.inboundLoopbackSource());
    }

    @Test
    void unknownNftExpressionIsReported() {
        String dump = RuleDumps.text("native-nftables.nft")
                .replace("\t\ttcp dport 22 return", "\t\ttcp dport 22 limit rate 10/second return");
        UnrecognisedRule only = single(RuleDumpReader.read(dump));
        assertEquals(lineOf(dump, "limit rate"), only.line());
        assertEquals("unknown expression limit", only.reason());
    }

    @Test
    void nftListingOfIptablesNftTablesAloneSaysWhichToolToRun() {
        String collector = RuleDumps.text("collector-legacy-nft-ruleset.txt");
        String nftOnly = collector.substring(collector.indexOf("table ip nat"));
        InterceptionModel model = RuleDumpReader.read(nftOnly);
        assertEquals(InterceptionMode.NONE, model.mode());
        assertTrue(model.notes().stream().anyMatch(n -> n.contains("add iptables-nft-save output")), model.notes()::toString);
    }

    @Test
    void collectorNotesWhichBackEndHeldTheRules() {
        InterceptionModel model = RuleDumps.read("collector-legacy-nft-ruleset.txt");
        assertEquals("read Istio's rules from iptables-nft-save v1.8.9 (nf_tables)", model.notes().get(0));
        assertTrue(model.notes().stream().anyMatch(n -> n.startsWith("iptables, legacy back end") && n.endsWith(": no Istio rules")),
                model.notes()::toString);
    }

    @Test
    void rulesInBothBackEndsAreReadFromTheFullerOneAndNoted() {
        String legacyPart = RuleDumps.text("seed-uid201507.iptables-save");
        InterceptionModel model = RuleDumpReader.read(legacyPart + DEFAULT.replace(
                "-A ISTIO_OUTPUT -j ISTIO_REDIRECT", "-A ISTIO_OUTPUT -d 198.18.0.0/24 -j RETURN\n-A ISTIO_OUTPUT -j ISTIO_REDIRECT"));
        assertEquals(RuleBackend.IPTABLES_NFT, model.backend());
        assertTrue(model.notes().stream().anyMatch(n -> n.contains("the kernel applies them as well")), model.notes()::toString);
    }

    @Test
    void rulesOfTheBackEndNotReadAreCounted() {
        String legacy = RuleDumps.text("seed-uid201507.iptables-save")
                .replace("COMMIT", "-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT");
        InterceptionModel model = RuleDumpReader.read(legacy.replace("-A ISTIO_", "-A OTHER_")
                .replace("-j ISTIO_", "-j OTHER_") + DEFAULT);
        assertTrue(model.notes().stream().anyMatch(n -> n.startsWith("iptables, legacy back end") && n.endsWith("no Istio rules; 19 other"
                + " rule(s) there were not read")), model.notes()::toString);
    }

    @Test
    void anotherOutboundPortIsTakenFromTheRules() {
        InterceptionModel model = RuleDumpReader.read(DEFAULT.replace("--to-ports 15001", "--to-ports 15011"));
        assertEquals(15011, model.outboundRedirectPort());
    }

    @Test
    void ipv4AndIpv6DisagreeingIsNoted() {
        String dual = RuleDumps.text("dualstack.iptables-save");
        int v6 = dual.indexOf("ip6tables-save");
        String dump = dual.substring(0, v6) + dual.substring(v6).replace("--to-ports 15006", "--to-ports 15016");
        InterceptionModel model = RuleDumpReader.read(dump);
        assertEquals(15006, model.inboundRedirectPort());
        assertTrue(model.notes().contains("rules disagree on the inbound redirect port: 15006 and 15016; using 15006"),
                model.notes()::toString);
    }

    private static UnrecognisedRule single(InterceptionModel model) {
        assertEquals(1, model.unrecognised().size(), () -> model.unrecognised().toString());
        return model.unrecognised().get(0);
    }

    /** The default dump's last table is nat, where Istio's rules are. */
    private static String beforeLastCommit(String dump, String rule) {
        int last = dump.lastIndexOf("COMMIT");
        return dump.substring(0, last) + rule + "\n" + dump.substring(last);
    }

    private static int lineOf(String dump, String fragment) {
        String[] lines = dump.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(fragment)) {
                return i + 1;
            }
        }
        throw new AssertionError(fragment + " not in dump");
    }
}
