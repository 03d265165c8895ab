package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterCommandTest {

    @Test
    void printsTheExpressionAloneOnOneLine() {
        CliRun run = CliRun.of("filter", "inbound-mtls", "--pod-ip", "198.18.0.2", "--port", "8080", "-p", "9080");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("(dst host 198.18.0.2 and dst port (8080 or 9080)) or (src host 198.18.0.2 and src port (8080 or 9080))\n",
                run.out());
        assertEquals("", run.err());
    }

    @Test
    void assumedEphemeralRangeIsNotedOnStderrOnly() {
        CliRun run = CliRun.of("filter", "outbound-mtls", "--pod-ip", "198.18.0.2");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(1, run.out().lines().count());
        assertTrue(run.out().contains("portrange 32768-60999"));
        assertTrue(run.err().contains("assuming the kernel's default ephemeral range 32768-60999"), run.err());
        CliRun given = CliRun.of("filter", "outbound-mtls", "--pod-ip", "198.18.0.2", "--ephemeral-range", "20000-29999");
        assertTrue(given.out().contains("portrange 20000-29999"));
        assertEquals("", given.err());
    }

    @Test
    void explainSaysInterfaceCapturePointAndReassociation() {
        CliRun run = CliRun.of("filter", "outbound-plain", "--pod-ip", "198.18.0.2", "--ephemeral-range", "32768-60999", "--explain");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("interface:      lo"), run.err());
        assertTrue(run.err().contains("capture point:  after the REDIRECT"), run.err());
        assertTrue(run.err().contains("re-association: needed"), run.err());
        assertTrue(run.err().contains("tcpdump -ni lo '"), run.err());
        assertEquals(1, run.out().lines().count());
    }

    @Test
    void theExplanationGivesEveryFieldUnderItsLabelWrappedAtAHundredColumns() {
        CliRun run = CliRun.of("filter", "outbound-plain", "--pod-ip", "198.18.0.2", "--ephemeral-range", "32768-60999",
                "--explain");
        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.err().lines().toList();
        assertEquals(List.of("leg:", "interface:", "capture point:", "why:", "shows:", "does not show:",
                "re-association:", "tcpdump:"), lines.stream().filter(line -> !line.startsWith(" "))
                .map(line -> line.substring(0, line.indexOf(':') + 1)).toList(), run.err());
        lines.forEach(line -> assertTrue(line.length() <= 100 && line.matches("([a-z -]+:\\s+| {16})\\S.*"), line));
        // The two fields meshcap writes itself, not the catalogue: words wrapped before column 100, under the text.
        String tail = run.err().substring(run.err().indexOf("re-association:"));
        assertEquals("""
                re-association: needed: the REDIRECT splits each connection on this leg in two; meshcap capture
                                re-associates them
                tcpdump:        tcpdump -ni lo '(dst host 127.0.0.1 and dst port 15001) or (dst host 198.18.0.2 and
                                dst portrange 32768-60999)'
                """, tail);
    }

    @Test
    void gatewayCidrsAreNormalisedAndTheChangeIsSaid() {
        CliRun run = CliRun.of("filter", "gateway-downstream", "--cluster-cidr", "192.168.0.0/12", "--service-cidr", "10.96.0.0/12");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("tcp and not (src net (192.160.0.0/12 or 10.96.0.0/12) and dst net (192.160.0.0/12 or 10.96.0.0/12))\n",
                run.out());
        assertTrue(run.err().contains("192.168.0.0/12 -> 192.160.0.0/12"), run.err());
        assertTrue(!run.err().contains("10.96.0.0/12 ->"), "an unchanged CIDR is not reported as changed");
    }

    @Test
    void aWidenedCidrSaysItIsMostlyPublicAndSuggestsThePrefixesMeant() {
        CliRun run = CliRun.of("filter", "gateway-upstream", "--cluster-cidr", "192.168.0.0/12");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("192.168.0.0/12 -> 192.160.0.0/12: host bits cleared"), run.err());
        assertTrue(run.err().contains("most of it is public address space (only 192.168.0.0/16 in it is private)"), run.err());
        assertTrue(run.err().contains("did you mean 192.168.0.0/13 (the shortest prefix that keeps 192.168.0.0 as the"
                + " network) or 192.168.0.0/16 (the private range it lies in)?"), run.err());
        CliRun inside = CliRun.of("filter", "gateway-upstream", "--cluster-cidr", "10.1.2.3/8");
        assertTrue(inside.err().contains("10.1.2.3/8 -> 10.0.0.0/8") && !inside.err().contains("public"), inside.err());
    }

    @Test
    void theCidrNoteIsPrintedOnceWithExplain() {
        CliRun once = CliRun.of("filter", "gateway-downstream", "--cluster-cidr", "192.168.0.0/12", "--explain");
        assertEquals(0, once.exitCode(), once.toString());
        assertEquals(1, once.err().lines().filter(line -> line.contains("host bits cleared")).count(), once.err());
        CliRun repeated = CliRun.of("filter", "gateway-upstream", "--cluster-cidr", "192.168.0.0/12", "--service-cidr",
                "192.168.0.0/12", "--cluster-cidr", "192.168.0.0/12", "--explain");
        assertEquals(1, repeated.err().lines().filter(line -> line.contains("host bits cleared")).count(), repeated.err());
    }

    @Test
    void aGatewayAddressOutsideTheClusterNetworksIsWarnedAbout() {
        CliRun run = CliRun.of("filter", "gateway-downstream", "--cluster-cidr", "192.168.0.0/16", "--pod-ip", "10.244.1.5");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("meshcap: warning: the gateway's address 10.244.1.5 lies outside the cluster networks"
                + " 192.168.0.0/16: they must hold every pod's address, the gateway's too, so --cluster-cidr is probably"
                + " wrong"), run.err());
        CliRun inside = CliRun.of("filter", "gateway-downstream", "--cluster-cidr", "10.244.0.0/16", "--pod-ip", "10.244.1.5");
        assertFalse(inside.err().contains("outside the cluster networks"), inside.err());
    }

    @Test
    void gatewayPresetsHonourTheGatewaysAddressAndListenerPorts() {
        CliRun down = CliRun.of("filter", "gateway-downstream", "--cluster-cidr", "10.244.0.0/16", "--pod-ip", "10.244.1.5",
                "--port", "8443");
        assertEquals(0, down.exitCode(), down.toString());
        assertEquals("tcp and ((dst host 10.244.1.5 and dst port 8443 and not src net 10.244.0.0/16) or (src host 10.244.1.5"
                + " and src port 8443 and not dst net 10.244.0.0/16))\n", down.out());
        CliRun up = CliRun.of("filter", "gateway-upstream", "--cluster-cidr", "10.244.0.0/16", "--pod-ip", "10.244.1.5",
                "--port", "8443");
        assertEquals("tcp and ((src host 10.244.1.5 and dst net 10.244.0.0/16) or (dst host 10.244.1.5 and src net"
                + " 10.244.0.0/16))\n", up.out());
    }

    @Test
    void portZeroIsNamedAsAPortNotARange() {
        CliRun app = CliRun.of("filter", "inbound-plain", "--pod-ip", "198.18.0.2", "-p", "0");
        assertEquals(2, app.exitCode());
        assertEquals("meshcap: --port: port 0 is not within 1-65535", app.err().strip());
        CliRun outbound = CliRun.of("filter", "outbound-plain", "--pod-ip", "198.18.0.2", "--outbound-port", "0");
        assertEquals(2, outbound.exitCode());
        assertEquals("meshcap: --outbound-port: port 0 is not within 1-65535", outbound.err().strip());
    }

    @Test
    void eachMissingFlagIsNamedOnce() {
        CliRun run = CliRun.of("filter", "outbound-plain");
        assertEquals(2, run.exitCode());
        assertEquals("meshcap: preset outbound-plain needs --pod-ip (the pod's address)", run.err().strip());
    }

    @Test
    void libpcapErrorsExitWithUsageCode() {
        CliRun run = CliRun.of("filter", "inbound-plain", "--pod-ip", "198.18.0.2", "-p", "80", "--extra-filter", "port 99999");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("illegal port number 99999 > 65535"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals(2, CliRun.of("filter", "inbound-mtls", "--pod-ip", "reviews.default", "-p", "80").exitCode());
        assertEquals(2, CliRun.of("filter", "inbound-mtls", "--pod-ip", "198.18.0.2", "-p", "70000").exitCode());
        assertEquals(2, CliRun.of("filter", "gateway-upstream", "--cluster-cidr", "10.0.0.0/33").exitCode());
        assertEquals(2, CliRun.of("filter", "nope", "--pod-ip", "198.18.0.2").exitCode());
        assertEquals(2, CliRun.of("filter", "inbound-mtls", "--pod-ip", "198.18.0.2").exitCode());
    }

    @Test
    void aGroupIsNamedAsAGroupWithTheCommandThatTakesIt() {
        CliRun run = CliRun.of("filter", "sidecar", "--pod-ip", "198.18.0.2", "--port", "8080");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("meshcap: 'sidecar' is a group of presets (inbound-mtls, inbound-plain, outbound-plain, outbound-mtls):"
                + " filter prints one leg's expression, so name one of them; meshcap capture sidecar captures the whole group",
                run.err().strip());
    }

    @Test
    void aBrokenPresetFileIsReportedByLineAndColumnWithoutParserInternals(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("presets.json"), "{\"presets\": [ {\"name\": 3,\n");
        CliRun run = CliRun.of("filter", "inbound-mtls", "--pod-ip", "198.18.0.2", "--port", "8080", "--filters",
                dir.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("meshcap: " + dir.resolve("presets.json") + ": line 2, column 1: not valid JSON"),
                run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertFalse(run.err().contains("Source") || run.err().contains("REDACTED"), run.err());
    }

    @Test
    void onePodAddressPerFamily() {
        CliRun two = CliRun.of("filter", "inbound-mtls", "--pod-ip", "198.18.0.2", "--pod-ip", "198.18.0.3", "--port", "8080");
        assertEquals(2, two.exitCode(), two.toString());
        assertEquals("meshcap: --pod-ip: 2 IPv4 addresses (198.18.0.2, 198.18.0.3); a pod has one per family: give at"
                + " most one IPv4 and one IPv6 address", two.err().strip());
        CliRun six = CliRun.of("filter", "inbound-mtls", "--pod-ip", "2001:2::2", "--pod-ip", "2001:2::3", "--port", "8080");
        assertEquals(2, six.exitCode(), six.toString());
        CliRun dual = CliRun.of("filter", "inbound-mtls", "--pod-ip", "198.18.0.2", "--pod-ip", "2001:2::2", "--port", "8080");
        assertEquals(0, dual.exitCode(), dual.toString());
    }
}
