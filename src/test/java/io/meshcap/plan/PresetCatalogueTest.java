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
}
