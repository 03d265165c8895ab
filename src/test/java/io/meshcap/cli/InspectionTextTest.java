package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The table {@code meshcap inspect --rules} prints, row by row, against what the rule dumps in
 * src/test/resources/rules say (the ports, CIDRs, users and groups below are the ones written in those files).
 */
class InspectionTextTest {

    @TempDir
    Path dir;

    private static Path dump(String name) throws URISyntaxException {
        return Path.of(InspectionTextTest.class.getResource("/rules/" + name).toURI());
    }

    /** The value of the table's row {@code label} (the table is indented by two, values start at column 23). */
    private static String row(CliRun run, String label) {
        assertEquals(0, run.exitCode(), run.toString());
        return run.out().lines().filter(line -> line.startsWith("  " + label + " ")).map(line -> line.substring(23))
                .findFirst().orElseThrow(() -> new AssertionError("no row " + label + ":\n" + run.out()));
    }

    private static CliRun inspect(Path rules) {
        return CliRun.of("inspect", "--rules", rules.toString());
    }

    @Test
    void excludedAndIncludedDestinationsAreTheirCidrsThenTheirPorts() throws Exception {
        Path excludes = dump("outbound-excludes.iptables-save");
        assertEquals("198.18.0.0/24, 198.18.7.0/24; ports 3306, 5432", row(inspect(excludes), "outbound excluded"));
        assertEquals("-", row(inspect(excludes), "outbound included"));
        Path portsOnly = Files.write(dir.resolve("ports-only.iptables-save"), Files.readAllLines(excludes).stream()
                .filter(line -> !line.startsWith("-A ISTIO_OUTPUT -d 198.18.")).toList());
        assertEquals("ports 3306, 5432", row(inspect(portsOnly), "outbound excluded"));
        assertEquals("198.18.0.0/24", row(inspect(dump("native-nftables.nft")), "outbound excluded"));
        assertEquals("198.19.0.0/16; ports 7070", row(inspect(dump("include-ports.iptables-save")), "outbound included"));
    }

    @Test
    void outboundOwnersNameTheGroupsOrUsersTheRulesSelect() throws Exception {
        assertEquals("only groups 202, 3001", row(inspect(dump("variants/owner-groups.v4")), "outbound owners"));
        assertEquals("only users 1000, 1001", row(inspect(dump("variants/owner-users.v4")), "outbound owners"));
        assertEquals("except groups 888, 889", row(inspect(dump("variants/owner-groups-exclude.v4")),
                "outbound owners"));
        assertEquals("all (no owner selection)", row(inspect(dump("outbound-excludes.iptables-save")),
                "outbound owners"));
    }

    @Test
    void rulesThatInterceptOnlyInboundSayOutboundIsNotRedirected() throws Exception {
        CliRun run = inspect(dump("variants/shadowed-include.v4"));
        assertEquals("REDIRECT (sidecar: nat REDIRECT inbound only)", row(run, "mode"));
        assertEquals("none", row(run, "outbound redirect"));
        assertEquals("port 15006 (only the included ports)", row(run, "inbound redirect"));
    }

    @Test
    void withoutIstioRulesTheTableHasNoInterceptionRows() throws IOException {
        Path plain = Files.writeString(dir.resolve("plain.iptables-save"),
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
        CliRun run = inspect(plain);
        assertEquals(List.of("mode", "read from", "ephemeral ports"), run.out().lines()
                .takeWhile(line -> !line.isEmpty()).skip(1)
                .map(line -> line.strip().split(" {2,}")[0]).toList(), run.out());
    }

    @Test
    void warningsAndNotesAreEachASectionOfTheirOwnAfterABlankLine() throws Exception {
        CliRun bypasses = inspect(dump("outbound-excludes.iptables-save"));
        assertEquals(0, bypasses.exitCode(), bypasses.toString());
        assertTrue(bypasses.out().contains("""
                  ephemeral ports      32768-60999 (kernel default, assumed)

                Warnings
                  - inbound port(s) 9000 bypass the proxy: their eth0 leg is plaintext and there is no lo leg \
                (inbound-plain will capture nothing)
                  - outbound traffic to 198.18.0.0/24, 198.18.7.0/24 bypasses the proxy: it leaves eth0 in plaintext \
                from the app's own port, with no lo leg
                  - outbound port(s) 3306, 5432 bypass the proxy: plaintext on eth0, no lo leg

                Capture legs"""), bypasses.out());
        assertFalse(bypasses.out().contains("Notes"), bypasses.out());
        assertTrue(bypasses.out().contains("""
                    warning: calls that bypass the proxy (destinations or ports excluded or not included, or owners \
                the rules leave out) leave eth0 from the app's own port, which lies in the ephemeral range too, so this \
                leg also shows them, in plaintext
                  note: assuming the kernel's default ephemeral range"""), "outbound-mtls's warning under its leg: "
                + bypasses.out());

        CliRun otherUid = inspect(dump("openshift-uid.iptables-save"));
        assertEquals(0, otherUid.exitCode(), otherUid.toString());
        assertTrue(otherUid.out().contains("""
                  ephemeral ports      32768-60999 (kernel default, assumed)

                Notes
                  - the proxy runs as uid 1000680000 (not 1337); a stand-in proxy must use it for the owner match \
                to see it

                Capture legs"""), otherUid.out());
        assertFalse(otherUid.out().contains("Warnings"), otherUid.out());
    }
}
