package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.CommandRunner;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CaptureArgvTest {

    private static final String HOSTILE = "tcp; rm -rf / $(reboot) `id` && echo \"$@\" '";

    private static LegPlan leg(String filter) {
        return new LegPlan("shop/reviews-v1-7d9c", "eth0", "inbound-mtls", filter, true, CaptureLimits.none(), Map.of());
    }

    @Test
    void captureIsTcpdumpBehindAConstantPidAnnouncingScript() {
        assertEquals(ExpectedArgv.capture("eth0", "tcp port 15006"), CaptureArgv.capture(leg("tcp port 15006")));
    }

    @Test
    void hostileFilterIsOneArgumentAfterTheScriptNeverPartOfIt() {
        List<String> argv = CaptureArgv.capture(leg(HOSTILE));
        assertEquals(HOSTILE, argv.get(argv.size() - 1));
        assertFalse(argv.get(2).contains("rm -rf"));
        assertEquals(ExpectedArgv.capture("eth0", HOSTILE), argv);
    }

    @Test
    void stopSendsSigintToTheAnnouncedPid() {
        assertEquals(List.of("kill", "-INT", "4242"), CaptureArgv.stop(4242));
        assertEquals(4242, CaptureArgv.announcedPid("meshcap-pid 4242\ntcpdump: listening on eth0\n"));
        assertEquals(-1, CaptureArgv.announcedPid("tcpdump: listening on eth0\n"));
    }

    @Test
    void nsenterPrefixAndPidLookupPassValuesAsArguments() {
        assertEquals(List.of("nsenter", "-n", "-t", "77", "--"), CaptureArgv.nsenter(77));
        List<String> find = CaptureArgv.findPid("abc123");
        assertEquals(List.of("sh", "-c"), find.subList(0, 2));
        assertEquals("abc123", find.get(find.size() - 1));
        assertFalse(find.get(2).contains("abc123"));
    }

    @Test
    void helperIdlesForItsLifetimeAndCanBeReleased() {
        List<String> idle = CaptureArgv.idle(43200);
        assertEquals("43200", idle.get(idle.size() - 1));
        assertTrue(idle.get(2).contains("exec sleep \"$1\""));
        assertTrue(CaptureArgv.release().get(2).startsWith("kill "));
    }

    @Test
    void factsCoverRulesPortRangeSocketsAddressesAndRoutes() {
        Map<String, List<String>> facts = CaptureArgv.facts();
        assertEquals(List.of("iptables-save"), facts.get("iptables-save"));
        assertEquals(List.of("nft", "list", "ruleset"), facts.get("nft-ruleset"));
        assertEquals(List.of("cat", "/proc/sys/net/ipv4/ip_local_port_range"), facts.get("ip_local_port_range"));
        assertEquals(List.of("ss", "-Htlnupe"), facts.get("listening-sockets"));
        assertTrue(facts.containsKey("ip6tables-save") && facts.containsKey("addresses") && facts.containsKey("routes"));
    }

    @Test
    void displayQuotesOnlyWhatNeedsIt() {
        assertEquals("tcpdump -i eth0 'tcp port 80' 'it'\\''s'", CommandRunner.display(List.of("tcpdump", "-i", "eth0",
                "tcp port 80", "it's")));
    }
}
