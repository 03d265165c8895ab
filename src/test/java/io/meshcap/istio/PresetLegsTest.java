package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.meshcap.net.Addresses;
import io.meshcap.net.Cidr;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.PortRange;
import io.meshcap.plan.PresetCatalogue;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What {@code inspect} says each bundled leg would record, under real rule dumps (see {@code rules/README.md}). */
class PresetLegsTest {

    private static final PresetCatalogue CATALOGUE = PresetCatalogue.bundled();

    private static FilterInputs pod(List<Integer> appPorts, List<Cidr> clusterNets) {
        return new FilterInputs(List.of(Addresses.parse("198.18.0.2", "test")), appPorts, new PortRange(32768, 60999),
                false, 15001, clusterNets);
    }

    private static Map<String, PresetLegs.Leg> legs(String dump, FilterInputs inputs) {
        return PresetLegs.of(CATALOGUE.presets(), RuleDumps.read(dump), inputs).stream()
                .collect(Collectors.toMap(PresetLegs.Leg::preset, Function.identity()));
    }

    @Test
    void aSidecarUnderTheDefaultInjectionHasFourLegsAndNothingToWarnAbout() {
        List<PresetLegs.Leg> legs = PresetLegs.of(CATALOGUE.presets(), RuleDumps.read("default-injection.iptables-save"),
                pod(List.of(8080), List.of()));

        assertEquals(List.of("inbound-mtls", "inbound-plain", "outbound-plain", "outbound-mtls"),
                legs.stream().map(PresetLegs.Leg::preset).toList());
        PresetLegs.Leg inboundPlain = legs.get(1);
        assertEquals("lo", inboundPlain.interfaceName());
        assertEquals("(dst host 198.18.0.2 and dst port 8080) or (src host 198.18.0.2 and src port 8080)",
                inboundPlain.filter());
        assertNull(inboundPlain.missing());
        assertEquals("after the REDIRECT", inboundPlain.capturePoint());
        assertEquals("before the REDIRECT", legs.get(0).capturePoint());
        for (PresetLegs.Leg leg : legs) {
            assertEquals(List.of(), leg.warnings(), leg.preset());
            assertEquals(List.of(), leg.notes(), leg.preset());
        }
    }

    @Test
    void theGatewayLegsComeWithTheClusterNetworks() {
        Map<String, PresetLegs.Leg> legs = legs("default-injection.iptables-save",
                pod(List.of(8080), List.of(Cidr.parse("198.18.0.0/15"))));
        assertEquals(6, legs.size());
        assertEquals("eth0", legs.get("gateway-upstream").interfaceName());
    }

    @Test
    void aLegWithoutItsValuesSaysWhichFlagsItNeeds() {
        FilterInputs none = new FilterInputs(List.of(), List.of(), new PortRange(32768, 60999), true, 15001, List.of());
        PresetLegs.Leg inbound = legs("default-injection.iptables-save", none).get("inbound-plain");
        assertNull(inbound.filter());
        assertEquals("preset inbound-plain needs --pod-ip (the pod's address) and --port (the application port(s))",
                inbound.missing());
    }

    @Test
    void anExcludedAppPortIsMissingFromTheInboundLoopbackLeg() {
        Map<String, PresetLegs.Leg> legs = legs("seed-uid1337-port22-mangled.iptables-save", pod(List.of(8080, 22),
                List.of()));
        assertEquals(List.of("port 22 is excluded from inbound interception: its calls reach the app over eth0 without"
                + " the proxy, so this leg will not show them"), legs.get("inbound-plain").warnings());
    }

    @Test
    void underTproxyTheInboundLoopbackLegShowsTheRealClient() {
        Map<String, PresetLegs.Leg> legs = legs("tproxy.iptables-legacy-save", pod(List.of(8080), List.of()));
        assertEquals(List.of("TPROXY mode: the proxy connects to the app from the real client's address, so this leg"
                + " shows CLIENT:port -> POD_IP:port, not 127.0.0.6 (or ::6)"), legs.get("inbound-plain").warnings());
    }

    @Test
    void inAmbientModeTheEth0LegsSeeHboneTunnels() {
        Map<String, PresetLegs.Leg> legs = legs("ambient-inpod.iptables-save", pod(List.of(8080), List.of()));
        assertEquals(List.of("ambient mode: mesh clients reach the pod as HBONE, TLS to port 15008, not to the app"
                + " port, so this filter sees only calls from outside the mesh; the tunnels (port 15008) each carry"
                + " many app connections"), legs.get("inbound-mtls").warnings());
        assertEquals(List.of("ambient mode: ztunnel's upstream connections are HBONE, TLS to the peer's port 15008,"
                + " each carrying many app connections, so they do not pair one to one with the app's connections on"
                + " lo"), legs.get("outbound-mtls").warnings());
    }

    @Test
    void excludedDestinationsLeaveEth0InPlaintextFromAnEphemeralPort() {
        // excludeOutboundIPRanges 198.18.0.0/24,198.18.7.0/24 and excludeOutboundPorts 3306,5432.
        Map<String, PresetLegs.Leg> legs = legs("outbound-excludes.iptables-save", pod(List.of(8080), List.of()));
        assertEquals(List.of("calls that bypass the proxy (destinations or ports excluded or not included, or owners"
                + " the rules leave out) leave eth0 from the app's own port, which lies in the ephemeral range too, so"
                + " this leg also shows them, in plaintext"), legs.get("outbound-mtls").warnings());
    }
}
