package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.plan.PortRange;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterceptionAdvisorTest {

    private static final PortGuide GUIDE = PortGuide.bundled();

    private static List<Advice> advise(String dump) {
        return InterceptionAdvisor.advise(RuleDumps.read(dump), GUIDE);
    }

    private static List<String> warnings(String dump) {
        return advise(dump).stream()
                .filter(a -> a.level() == Advice.Level.WARNING).map(Advice::text).toList();
    }

    @Test
    void defaultInjectionNeedsNoWarning() {
        assertEquals(List.of(), warnings("default-injection.iptables-save"));
    }

    @Test
    void excludedAppPortIsWarnedButIstiosOwnAreNot() {
        List<String> warnings = warnings("seed-uid1337-port22-mangled.iptables-save");
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("inbound port(s) 22 bypass the proxy")), warnings::toString);
        assertTrue(warnings.stream().noneMatch(w -> w.contains("15090")), warnings::toString);
    }

    @Test
    void excludedOutboundRangesAndPortsAreWarned() {
        List<String> warnings = warnings("outbound-excludes.iptables-save");
        assertTrue(warnings.contains("outbound traffic to 198.18.0.0/24, 198.18.7.0/24 bypasses the proxy: it leaves eth0"
                + " in plaintext from the app's own port, with no lo leg"), warnings::toString);
        assertTrue(warnings.contains("outbound port(s) 3306, 5432 bypass the proxy: plaintext on eth0, no lo leg"),
                warnings::toString);
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("inbound port(s) 9000 bypass")), warnings::toString);
    }

    @Test
    void tproxyAndAmbientAndNftablesAreExplained() {
        assertTrue(warnings("tproxy.iptables-legacy-save").stream().anyMatch(w -> w.startsWith("TPROXY mode")));
        assertTrue(warnings("ambient-inpod.iptables-save").stream().anyMatch(w -> w.contains("cannot be paired one to one")));
        assertTrue(advise("native-nftables.nft").stream()
                .anyMatch(a -> a.text().startsWith("native nftables mode")));
    }

    @Test
    void anotherProxyUidIsNoted() {
        assertTrue(advise("openshift-uid.iptables-save").contains(
                Advice.note("the proxy runs as uid 1000680000 (not 1337); a stand-in proxy must use it for the owner"
                        + " match to see it")));
    }

    @Test
    void unknownRulesAreSaidFirst() {
        List<Advice> advice = advise("seed-uid1337-port22-mangled.iptables-save");
        assertTrue(advice.get(0).text().startsWith("5 line(s) of the rules were not understood (lines 5, 6, 7, 8, 9)"));
    }

    @Test
    void noRulesMeansNoInterception() {
        List<Advice> advice = InterceptionAdvisor.advise(RuleDumpReader.read(""), GUIDE);
        assertEquals(1, advice.size());
        assertTrue(advice.get(0).text().startsWith("no Istio interception rules found"));
    }

    @Test
    void ephemeralRangeReadsTheProcFile() {
        assertEquals(new PortRange(32768, 60999), PortRange.parse("32768\t60999\n"));
        assertTrue(new PortRange(40000, 50000).contains(40000));
    }
}
