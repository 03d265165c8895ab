package io.meshcap.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PresetCatalogueTest {

    @Test
    void bundledCatalogueHasTheFourSidecarLegsAndTheGatewaySides() {
        List<String> names = PresetCatalogue.bundled().presets().stream().map(Preset::name).toList();
        assertEquals(List.of("inbound-mtls", "inbound-plain", "outbound-plain", "outbound-mtls",
                "gateway-downstream", "gateway-upstream"), names);
        Preset outboundPlain = PresetCatalogue.bundled().preset("outbound-plain");
        assertEquals("lo", outboundPlain.interfaceName());
        assertFalse(outboundPlain.capturePoint().beforeRedirect());
        assertTrue(outboundPlain.reassociate());
        assertTrue(PresetCatalogue.bundled().preset("inbound-mtls").capturePoint().beforeRedirect());
    }

    @Test
    void aDirectoryOverridesTheBundledCatalogue(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("presets.json"), """
                {"interfaces": {"eth0": {"capturePoint": "wire", "redirect": "before"}},
                 "presets": [{"name": "dns", "role": "sidecar", "interface": "eth0",
                              "template": "udp port 53 and host ${podIp}", "summary": "s",
                              "capturePointDetail": "d", "shows": "x", "doesNotShow": "y"}]}
                """);
        PresetCatalogue catalogue = PresetCatalogue.load(dir);
        assertEquals(List.of(FilterParameter.POD_IP), catalogue.preset("dns").template().parameters());
        MeshcapException unknown = assertThrows(MeshcapException.class, () -> catalogue.preset("inbound-mtls"));
        assertTrue(unknown.getMessage().contains("known presets: dns"));
    }

    @Test
    void brokenCataloguesSayWhatIsWrong(@TempDir Path dir) throws IOException {
        assertTrue(assertThrows(MeshcapException.class, () -> PresetCatalogue.load(dir)).getMessage()
                .contains("no presets.json"));
        Files.writeString(dir.resolve("presets.json"), """
                {"interfaces": {}, "presets": [{"name": "x", "role": "sidecar", "interface": "eth1", "template": "tcp"}]}
                """);
        assertTrue(assertThrows(MeshcapException.class, () -> PresetCatalogue.load(dir)).getMessage()
                .contains("interface 'eth1' is not described"));
        Files.writeString(dir.resolve("presets.json"), "{ not json");
        assertEquals(MeshcapException.Kind.USAGE, assertThrows(MeshcapException.class, () -> PresetCatalogue.load(dir)).kind());
    }

    private static final String DNS_ONLY = """
            {"interfaces": {"eth0": {"capturePoint": "wire", "redirect": "before"}},
             "presets": [{"name": "dns", "role": "sidecar", "interface": "eth0",
                          "template": "udp port 53 and host ${podIp}", "summary": "s",
                          "capturePointDetail": "d", "shows": "x", "doesNotShow": "y"}]}
            """;

    private static List<String> names(java.util.Collection<Preset> presets) {
        return presets.stream().map(Preset::name).toList();
    }

    @Test
    void aGroupStandsForItsMembersInOrderAndAPresetForItself() {
        PresetCatalogue catalogue = PresetCatalogue.bundled();
        assertEquals(List.of("sidecar", "gateway"), List.copyOf(catalogue.groupNames()));
        assertTrue(catalogue.isGroup("gateway"));
        assertFalse(catalogue.isGroup("gateway-upstream"));
        assertEquals(List.of("gateway-downstream", "gateway-upstream"), names(catalogue.resolve("gateway")));
        assertEquals(List.of("outbound-mtls"), names(catalogue.resolve("outbound-mtls")));
        MeshcapException unknown = assertThrows(MeshcapException.class, () -> catalogue.resolve("sidcar"));
        assertEquals(MeshcapException.Kind.USAGE, unknown.kind());
        assertEquals("unknown preset or group 'sidcar'; known presets: inbound-mtls, inbound-plain, outbound-plain,"
                + " outbound-mtls, gateway-downstream, gateway-upstream; groups of presets (for meshcap capture):"
                + " sidecar, gateway", unknown.getMessage());
    }

    @Test
    void aCatalogueWithoutGroupsListsOnlyItsPresets(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("presets.json"), DNS_ONLY);
        PresetCatalogue catalogue = PresetCatalogue.bundledOr(dir);
        assertEquals(List.of("dns"), names(catalogue.presets()));
        assertEquals(List.of(), List.copyOf(catalogue.groupNames()));
        assertEquals("unknown preset or group 'sidecar'; known presets: dns",
                assertThrows(MeshcapException.class, () -> catalogue.resolve("sidecar")).getMessage());
        assertEquals(6, PresetCatalogue.bundledOr(null).presets().size(), "no directory: the bundled catalogue");
    }

    @Test
    void aBrokenCatalogueNamesThePlaceOfTheFault(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("presets.json");
        Files.writeString(file, "{\n  \"presets\": [,]\n}");
        String notJson = assertThrows(MeshcapException.class, () -> PresetCatalogue.load(dir)).getMessage();
        assertTrue(notJson.matches(java.util.regex.Pattern.quote(file.toString())
                + ": line 2, column \\d+: not valid JSON \\(.+\\)"), notJson);

        // The second preset has no name: it is counted instead.
        Files.writeString(file, DNS_ONLY.replace("}]}", "}, {\"role\": \"sidecar\", \"interface\": \"eth0\","
                + " \"template\": \"udp\"}]}"));
        assertEquals(file + ": preset #2: missing \"name\"",
                assertThrows(MeshcapException.class, () -> PresetCatalogue.load(dir)).getMessage());
    }
}
