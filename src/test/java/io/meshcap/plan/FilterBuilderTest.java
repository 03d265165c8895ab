package io.meshcap.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.net.Addresses;
import io.meshcap.net.Cidr;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FilterBuilderTest {

    private static final PresetCatalogue CATALOGUE = PresetCatalogue.bundled();

    private static FilterInputs sidecar(String... podIps) {
        List<InetAddress> ips = java.util.Arrays.stream(podIps).map(ip -> Addresses.parse(ip, "test")).toList();
        return new FilterInputs(ips, List.of(8080), PortRange.LINUX_DEFAULT_EPHEMERAL, true, 15001, List.of());
    }

    @Test
    void everyBundledPresetRendersAndCompiles() {
        FilterInputs all = new FilterInputs(List.of(Addresses.parse("198.18.0.2", "t")), List.of(8080, 9080),
                new PortRange(32768, 60999), false, 15001, List.of(Cidr.parse("198.18.0.0/15")));
        for (Preset preset : CATALOGUE.presets()) {
            LegFilter filter = FilterBuilder.build(preset, all, null);
            assertTrue(!filter.expression().contains("${"), filter.expression());
        }
    }

    @Test
    void outboundPlainRedirectsToTheLoopbackOfEachFamily() {
        Preset preset = CATALOGUE.preset("outbound-plain");
        assertEquals("(dst host 127.0.0.1 and dst port 15001) or (dst host 198.18.0.2 and dst portrange 32768-60999)",
                FilterBuilder.build(preset, sidecar("198.18.0.2"), null).expression());
        assertEquals("(dst host ::1 and dst port 15001) or (dst host 2001:2::2 and dst portrange 32768-60999)",
                FilterBuilder.build(preset, sidecar("2001:2:0:0::2"), null).expression());
        assertEquals("(dst host (127.0.0.1 or ::1) and dst port 15001) or (dst host (198.18.0.2 or 2001:2::2) and dst portrange 32768-60999)",
                FilterBuilder.build(preset, sidecar("198.18.0.2", "2001:2::2"), null).expression());
    }

    @Test
    void missingValuesNameTheFlagToAdd() {
        FilterInputs none = new FilterInputs(List.of(), List.of(), PortRange.LINUX_DEFAULT_EPHEMERAL, true, 15001, List.of());
        MeshcapException error = assertThrows(MeshcapException.class,
                () -> FilterBuilder.build(CATALOGUE.preset("inbound-mtls"), none, null));
        assertEquals("preset inbound-mtls needs --pod-ip (the pod's address) and --port (the application port(s))",
                error.getMessage());
        error = assertThrows(MeshcapException.class,
                () -> FilterBuilder.build(CATALOGUE.preset("gateway-upstream"), none, null));
        assertTrue(error.getMessage().contains("--cluster-cidr"), error.getMessage());
    }

    @Test
    void extraFilterIsAndedAfterLibpcapAcceptedIt() {
        LegFilter filter = FilterBuilder.build(CATALOGUE.preset("inbound-plain"), sidecar("198.18.0.2"), "tcp[tcpflags] & tcp-syn != 0");
        assertEquals("((dst host 198.18.0.2 and dst port 8080) or (src host 198.18.0.2 and src port 8080)) and (tcp[tcpflags] & tcp-syn != 0)",
                filter.expression());
    }

    @ParameterizedTest
    @ValueSource(strings = {"port 99999", "host", "tcp and (", "net 192.168.0.0/12", "frobnicate 3"})
    void extraFilterRejectedByLibpcapIsAUsageErrorWithLibpcapsWords(String extra) {
        MeshcapException error = assertThrows(MeshcapException.class,
                () -> FilterBuilder.build(CATALOGUE.preset("inbound-plain"), sidecar("198.18.0.2"), extra));
        assertEquals(MeshcapException.Kind.USAGE, error.kind());
        assertTrue(error.getMessage().startsWith("--extra-filter: libpcap rejects the filter: "), error.getMessage());
    }

    @Test
    void templatesWithUnknownParametersAreRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FilterTemplate.parse("dst host ${podIP}"));
        assertTrue(error.getMessage().contains("${podIP}"));
        assertThrows(IllegalArgumentException.class, () -> FilterTemplate.parse("dst host ${podIp"));
    }

    @Test
    void appPortInsideTheEphemeralRangeIsReported() {
        FilterInputs inputs = new FilterInputs(List.of(Addresses.parse("198.18.0.2", "t")), List.of(8080, 40000),
                PortRange.LINUX_DEFAULT_EPHEMERAL, true, 15001, List.of());
        assertEquals(List.of(40000), inputs.appPortsInEphemeralRange());
    }

    @ParameterizedTest
    @ValueSource(strings = {"60999-32768", "0-100", "1-65536", "abc", "1000", "32768 - 60999x"})
    void badPortRangesAreUsageErrors(String text) {
        assertThrows(MeshcapException.class, () -> PortRange.parse(text));
    }

    @Test
    void portRangeAcceptsTheProcFileFormat() {
        assertEquals(new PortRange(32768, 60999), PortRange.parse("32768\t60999\n"));
    }

    @Test
    void aFlagThatGivesTwoValuesIsNamedOnceWithWhatItGivesDirectly() {
        FilterInputs noPod = new FilterInputs(List.of(), List.of(), PortRange.LINUX_DEFAULT_EPHEMERAL, true, 15001,
                List.of());
        assertEquals("preset outbound-plain needs --pod-ip (the pod's address)", assertThrows(MeshcapException.class,
                () -> FilterBuilder.build(CATALOGUE.preset("outbound-plain"), noPod, null)).getMessage());
    }

    @Test
    void anExtraFilterThatLeavesNothingOfThePresetsIsRejectedAsTheCombination() {
        // Each part compiles alone; together they reject every packet, which libpcap refuses.
        MeshcapException error = assertThrows(MeshcapException.class, () -> FilterBuilder.build(
                CATALOGUE.preset("inbound-plain"), sidecar("198.18.0.2"), "not port 8080"));
        assertEquals("preset inbound-plain with --extra-filter: libpcap rejects the filter: expression rejects all"
                + " packets" + System.lineSeparator() + "  filter: ((dst host 198.18.0.2 and dst port 8080) or (src host"
                + " 198.18.0.2 and src port 8080)) and (not port 8080)", error.getMessage());
        // A cluster capture leaves the check to the pod's tcpdump.
        assertEquals("((dst host 198.18.0.2 and dst port 8080) or (src host 198.18.0.2 and src port 8080)) and (not"
                + " port 8080)", FilterBuilder.build(CATALOGUE.preset("inbound-plain"), sidecar("198.18.0.2"),
                "not port 8080", FilterCheck.WHERE_IT_RUNS).expression());
    }

    @Test
    void aPresetTemplateLibpcapRejectsIsNamedByItsPreset(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("presets.json"), """
                {"interfaces": {"eth0": {"capturePoint": "wire", "redirect": "before"}},
                 "presets": [{"name": "typo", "role": "sidecar", "interface": "eth0",
                              "template": "dst host ${podIp} and prot 8080", "summary": "s",
                              "capturePointDetail": "d", "shows": "x", "doesNotShow": "y"}]}
                """);
        Preset typo = PresetCatalogue.load(dir).preset("typo");
        assertEquals("dst host ${podIp} and prot 8080", typo.template().toString());
        MeshcapException error = assertThrows(MeshcapException.class,
                () -> FilterBuilder.build(typo, sidecar("198.18.0.2"), null));
        assertTrue(error.getMessage().startsWith("preset typo: libpcap rejects the filter: "), error.getMessage());
        assertTrue(error.getMessage().endsWith("  filter: dst host 198.18.0.2 and prot 8080"), error.getMessage());
    }

    @Test
    void aCompiledFilterKeepsItsExpressionAndJudgesPackets() {
        // An Ethernet frame carrying IPv4 TCP (EtherType 0x0800, protocol 6), cut after the IP header.
        byte[] tcp = new byte[34];
        tcp[12] = 0x08;
        tcp[14] = 0x45;
        tcp[23] = 6;
        try (BpfCompiler.CompiledFilter filter = BpfCompiler.compile("tcp", 1, "test")) {
            assertEquals("tcp", filter.expression());
            assertTrue(filter.matches(tcp));
            tcp[23] = 17;
            assertTrue(!filter.matches(tcp), "UDP is not TCP");
        }
    }

    @Test
    void eachPlaceholderIsTheNameATemplateWrites() {
        assertEquals("podIp", FilterParameter.POD_IP.placeholder());
        assertEquals("clusterNets", FilterParameter.CLUSTER_NETS.placeholder());
    }
}
