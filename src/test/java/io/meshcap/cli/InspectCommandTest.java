package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    private static String dump(String name) throws URISyntaxException {
        return Path.of(InspectCommandTest.class.getResource("/rules/" + name).toURI()).toString();
    }

    @Test
    void offlineDumpPrintsTheModelAndItsWarnings() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("seed-uid1337-port22-mangled.iptables-save"));
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.err()),
                () -> assertTrue(run.out().contains("mode                 REDIRECT"), run.out()),
                () -> assertTrue(run.out().contains("inbound excluded     22, 15008, 15020, 15021, 15090"), run.out()),
                () -> assertTrue(run.out().contains("inbound lo source    127.0.0.6 / ::6"), run.out()),
                () -> assertTrue(run.out().contains("ephemeral ports      32768-60999 (kernel default, assumed)"), run.out()),
                () -> assertTrue(run.out().contains("inbound port(s) 22 bypass the proxy"), run.out()),
                () -> assertTrue(run.out().contains("- line 5: :postprocessing accpt"), run.out()));
    }

    @Test
    void tproxyDumpSaysTheAppSeesRealClients() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("tproxy.iptables-legacy-save"));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("TPROXY mode: the proxy connects to the app with the real client address"), run.out());
        assertTrue(run.out().contains("traffic on net1 bypasses the proxy"), run.out());
    }

    @Test
    void nativeNftablesDumpIsNamedAsSuch() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("native-nftables.nft"));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("native nftables mode: iptables-save shows nothing here"), run.out());
        assertTrue(run.out().contains("DNS capture          port 53 -> 15053"), run.out());
    }

    @Test
    void anEarlyReturnIsReportedAndOutboundShownAsNotIntercepted(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("early-return.iptables-save");
        Files.writeString(rules, Files.readString(Path.of(dump("default-injection.iptables-save")))
                .replace("-A ISTIO_OUTPUT -j ISTIO_REDIRECT", "-A ISTIO_OUTPUT -j RETURN\n-A ISTIO_OUTPUT -j ISTIO_REDIRECT"));
        CliRun run = CliRun.of("inspect", "--rules", rules.toString());
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.err()),
                () -> assertTrue(run.out().contains("mode                 REDIRECT (sidecar: nat REDIRECT inbound only)"), run.out()),
                () -> assertTrue(run.out().contains("outbound redirect    none"), run.out()),
                () -> assertTrue(run.out().contains("(-A ISTIO_OUTPUT -j RETURN) in ISTIO_OUTPUT takes every packet that"
                        + " the rule(s) after it on line(s) 43 would match, so those never apply"), run.out()),
                () -> assertTrue(run.out().contains("- no outbound interception"), run.out()));
    }

    @Test
    void aMissingInboundRedirectIsShownAsNoInboundInterception(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("no-inbound-redirect.iptables-save");
        Files.writeString(rules, Files.readString(Path.of(dump("default-injection.iptables-save")))
                .replace("-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006\n", ""));
        CliRun run = CliRun.of("inspect", "--rules", rules.toString());
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.err()),
                () -> assertTrue(run.out().contains("mode                 REDIRECT (sidecar: nat REDIRECT outbound only)"), run.out()),
                () -> assertTrue(run.out().contains("inbound redirect     none"), run.out()),
                () -> assertTrue(run.out().contains("- no inbound interception"), run.out()),
                () -> assertTrue(!run.out().contains("assuming port 15006"), run.out()));
    }

    @Test
    void jsonCarriesTheModelForTools() throws Exception {
        CliRun run = CliRun.of("inspect", "--json", "--rules", dump("ambient-inpod.iptables-save"));
        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        JsonNode model = json.get("model");
        assertAll(
                () -> assertEquals("AMBIENT", model.get("mode").asText()),
                () -> assertEquals("0x539/0xfff", model.get("proxyMark").asText()),
                () -> assertEquals(15008, model.get("hboneTunnelPort").asInt()),
                () -> assertEquals("ORIGINAL_CLIENT", model.get("inboundLoopbackSource").asText()),
                () -> assertEquals("32768-60999", json.get("ephemeralPortRange").get("low").asText() + "-"
                        + json.get("ephemeralPortRange").get("high").asText()),
                () -> assertEquals(false, json.get("ephemeralPortRangeKnown").asBoolean()),
                () -> assertTrue(json.get("advice").toString().contains("HBONE"), json.get("advice").toString()));
    }

    @Test
    void missingFileIsAUsageErrorWithTheFix() {
        CliRun run = CliRun.of("inspect", "--rules", "/nonexistent/rules.txt");
        assertEquals(2, run.exitCode());
        assertEquals("meshcap: no such file: /nonexistent/rules.txt (give the path of a saved iptables-save or nft list"
                + " ruleset output)", run.err().strip());
    }

    @Test
    void binaryFileIsAUsageError(@TempDir Path dir) throws IOException {
        Path binary = Files.write(dir.resolve("capture.pcap"), new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2, (byte) 0xa1, (byte) 0xff});
        CliRun run = CliRun.of("inspect", "--rules", binary.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("is not text"), run.err());
    }

    @Test
    void aTextFileWithNoRulesAtAllIsAUsageError(@TempDir Path dir) throws IOException {
        Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
        CliRun run = CliRun.of("inspect", "--rules", hosts.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("meshcap: no iptables or nft rules found in " + hosts + ": "), run.err());
        assertEquals("", run.out());
    }

    @Test
    void garbageAmongRulesIsReportedNotFatal(@TempDir Path dir) throws Exception {
        Path garbage = Files.writeString(dir.resolve("notes.txt"), "hello\nthis is not a rule dump\n"
                + Files.readString(Path.of(dump("default-injection.iptables-save"))));
        CliRun run = CliRun.of("inspect", "--rules", garbage.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("mode                 REDIRECT"), run.out());
        assertTrue(run.out().contains("- line 2: this is not a rule dump"), run.out());
    }

    @Test
    void aDumpWithoutIstioRulesIsNoInterceptionNotAnError(@TempDir Path dir) throws IOException {
        Path plain = Files.writeString(dir.resolve("plain.iptables-save"),
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
        CliRun run = CliRun.of("inspect", "--rules", plain.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("none (no Istio interception rules found)"), run.out());
    }

    @Test
    void theBackEndIsNamedForPeople() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("seed-uid1337-port22-mangled.iptables-save"));
        assertTrue(run.out().contains("read from            iptables, back end not known (iptables-save without a"
                + " header line)"), run.out());
        assertTrue(!run.out().contains("IPTABLES_"), run.out());
    }

    @Test
    void aSourceIsRequiredAndOnlyOne() throws Exception {
        assertEquals(2, CliRun.of("inspect").exitCode());
        assertEquals(2, CliRun.of("inspect", "--rules", dump("default-injection.iptables-save"), "--pid", "1").exitCode());
        assertEquals(2, CliRun.of("inspect", "--netns", "a", "--pid", "1").exitCode());
    }

    @Test
    void unknownNamespaceIsAUsageErrorWithTheFix() {
        CliRun run = CliRun.of("inspect", "--netns", "mcistio-does-not-exist");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().startsWith("meshcap: no network namespace 'mcistio-does-not-exist' (ip netns list"), run.err());
    }

    @Test
    void namespaceNameWithASlashIsRefused() {
        CliRun run = CliRun.of("inspect", "--netns", "../etc");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("is not a network namespace name"), run.err());
    }

    @Test
    void helpShowsExamples() {
        CliRun run = CliRun.of("inspect", "--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("meshcap inspect --rules saved.txt"), run.out());
    }

    @Test
    void helpOfTheOnePodCommandsDoesNotOfferPodSelection() {
        for (String command : List.of("inspect", "ports")) {
            CliRun run = CliRun.of(command, "--help");
            assertEquals(0, run.exitCode());
            assertTrue(run.out().contains("--pod="), run.out());
            assertFalse(run.out().contains("--selector") || run.out().contains("--max-parallel"), command + ": " + run.out());
        }
        CliRun capture = CliRun.of("capture", "--help");
        assertTrue(capture.out().contains("--selector=LABELS") && capture.out().contains("--max-parallel"), capture.out());
    }

    @Test
    void presetLegsUseTheFlagsAndWarnWhereAnExcludedPortHasNoLoHalf() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("seed-uid1337-port22-mangled.iptables-save"),
                "--pod-ip", "10.1.2.3", "-p", "8080", "-p", "22");
        assertEquals(0, run.exitCode(), run.err());
        assertAll(
                () -> assertTrue(run.out().contains("inbound-plain on lo, after the REDIRECT"), run.out()),
                () -> assertTrue(run.out().contains("inbound-mtls on eth0, before the REDIRECT"), run.out()),
                () -> assertTrue(run.out().contains("filter   (dst host 127.0.0.1 and dst port 15001) or (dst host"
                        + " 10.1.2.3 and dst portrange 32768-60999)"), run.out()),
                () -> assertTrue(run.out().contains("warning: port 22 is excluded from inbound interception"), run.out()),
                () -> assertTrue(!run.out().contains("gateway-upstream"), "gateway presets need --cluster-cidr"));
    }

    @Test
    void theFlagsRangeIsTheOneShownAndAnAppPortInsideItIsWarnedOnEachLegThatSelectsIt() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("default-injection.iptables-save"), "--pod-ip", "198.18.0.2",
                "-p", "40000", "--ephemeral-range", "1024-65000");
        String warning = "    warning: application port 40000 lies inside the ephemeral range 1024-65000, so filters that"
                + " select that range also select traffic to it";
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.err()),
                () -> assertTrue(run.out().contains("ephemeral ports      1024-65000 (given with --ephemeral-range)"), run.out()),
                () -> assertEquals(2, run.out().split(warning, -1).length - 1, run.out()),
                () -> assertTrue(run.out().contains("dst portrange 1024-65000"), run.out()),
                () -> assertTrue(!run.out().contains("assuming the kernel's default"), run.out()));
    }

    @Test
    void anAssumedRangeIsNotedOnceForTheLegsThatUseIt() throws Exception {
        CliRun run = CliRun.of("inspect", "--rules", dump("default-injection.iptables-save"), "--pod-ip", "198.18.0.2",
                "-p", "40000");
        String note = "  note: assuming the kernel's default ephemeral range 32768-60999";
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.err()),
                () -> assertTrue(run.out().contains("ephemeral ports      32768-60999 (kernel default, assumed)"), run.out()),
                () -> assertEquals(1, run.out().split(note, -1).length - 1, run.out()),
                () -> assertTrue(run.out().contains("warning: application port 40000 lies inside the ephemeral range"
                        + " 32768-60999"), run.out()));
    }

    @Test
    void ambientWarnsOnBothEth0LegsThatTheyCarryHbone() throws Exception {
        JsonNode legs = legs("ambient-inpod.iptables-save");
        assertAll(
                () -> assertEquals(List.of("ambient mode: mesh clients reach the pod as HBONE, TLS to port 15008, not to"
                        + " the app port, so this filter sees only calls from outside the mesh; the tunnels (port 15008)"
                        + " each carry many app connections"), warnings(legs, "inbound-mtls")),
                () -> assertEquals(List.of("ambient mode: ztunnel's upstream connections are HBONE, TLS to the peer's"
                        + " port 15008, each carrying many app connections, so they do not pair one to one with the"
                        + " app's connections on lo"), warnings(legs, "outbound-mtls")),
                () -> assertEquals(List.of("ambient mode: the proxy connects to the app from the real client's address,"
                        + " so this leg shows CLIENT:port -> POD_IP:port, not 127.0.0.6 (or ::6)"),
                        warnings(legs, "inbound-plain")),
                () -> assertEquals(List.of(), warnings(legs, "outbound-plain")));
    }

    @Test
    void tproxyWarnsOnTheInboundPlainLegThatItShowsTheRealClient() throws Exception {
        JsonNode legs = legs("tproxy.iptables-legacy-save");
        assertAll(
                () -> assertEquals(List.of("TPROXY mode: the proxy connects to the app from the real client's address,"
                        + " so this leg shows CLIENT:port -> POD_IP:port, not 127.0.0.6 (or ::6)"),
                        warnings(legs, "inbound-plain")),
                () -> assertEquals(List.of(), warnings(legs, "inbound-mtls")),
                () -> assertEquals(List.of(), warnings(legs, "outbound-mtls")));
    }

    @Test
    void theTextbookSidecarHasNoLegWarnings() throws Exception {
        JsonNode legs = legs("default-injection.iptables-save");
        for (String preset : List.of("inbound-mtls", "inbound-plain", "outbound-plain", "outbound-mtls")) {
            assertEquals(List.of(), warnings(legs, preset), preset);
        }
    }

    private static JsonNode legs(String dump) throws Exception {
        CliRun run = CliRun.of("inspect", "--json", "--rules", dump(dump), "--pod-ip", "198.18.0.2", "-p", "8080");
        assertEquals(0, run.exitCode(), run.err());
        return new ObjectMapper().readTree(run.out()).get("presetLegs");
    }

    private static List<String> warnings(JsonNode legs, String preset) {
        for (JsonNode leg : legs) {
            if (leg.get("preset").asText().equals(preset)) {
                List<String> warnings = new ArrayList<>();
                leg.get("warnings").forEach(w -> warnings.add(w.asText()));
                return warnings;
            }
        }
        throw new AssertionError("no leg " + preset + " in " + legs);
    }

    @Test
    void presetLegsTakeTheOutboundPortFromTheRulesInJson(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("p15101.iptables-save");
        Files.writeString(rules, Files.readString(Path.of(dump("default-injection.iptables-save")))
                .replace("--to-ports 15001", "--to-ports 15101"));
        CliRun run = CliRun.of("inspect", "--json", "--rules", rules.toString(), "--pod-ip", "10.1.2.3",
                "--cluster-cidr", "10.0.0.0/8");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode legs = new ObjectMapper().readTree(run.out()).get("presetLegs");
        assertEquals(6, legs.size(), legs.toString());
        JsonNode outbound = legs.get(2);
        assertAll(
                () -> assertEquals("outbound-plain", outbound.get("preset").asText()),
                () -> assertEquals("after the REDIRECT", outbound.get("capturePoint").asText()),
                () -> assertTrue(outbound.get("filter").asText().startsWith("(dst host 127.0.0.1 and dst port 15101)"),
                        outbound.toString()),
                () -> assertTrue(legs.get(0).get("missing").asText().contains("--port"), legs.get(0).toString()),
                () -> assertEquals("gateway-upstream", legs.get(5).get("preset").asText()));
    }
}
