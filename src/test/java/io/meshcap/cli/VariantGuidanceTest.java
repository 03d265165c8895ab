package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.RuleNamespace;
import io.meshcap.testing.RuleNamespace.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@code inspect} tells a user about the Istio variants whose advice used to be wrong or contradictory: the
 * rules are loaded into a namespace of the test's own and read live, as a user reads a pod. The facts themselves
 * are pinned by {@link IstioVariantsTest}; here, that the advice no longer says the opposite of what the rules do.
 */
class VariantGuidanceTest {

    private static String inspect(Backend backend, String variant) {
        try (RuleNamespace namespace = RuleNamespace.create().load(backend, variant)) {
            CliRun run = CliRun.of("inspect", "--netns", namespace.name(), "--pod-ip", "198.18.0.2", "-p", "8080");
            assertEquals(0, run.exitCode(), run::toString);
            assertFalse(run.out().contains("not understood"), run.out());
            return run.out();
        }
    }

    @Test
    void kubeVirtInterfacesAreReroutedToTheOutboundPortNotExcluded() {
        String out = inspect(Backend.IPTABLES_LEGACY, "kubevirt-cidr");
        assertAll(
                () -> assertFalse(out.contains("bypasses the proxy entirely"), out),
                () -> assertTrue(out.contains("rerouted interfaces  eth2 (to 10.0.0.0/8), eth1 (to 10.0.0.0/8)"
                        + " -> outbound port"), out),
                () -> assertTrue(out.contains("traffic arriving on eth1 for 10.0.0.0/8 is rerouted to the proxy's outbound"
                        + " port 15001"), out),
                () -> assertTrue(out.contains("Capture them on eth1, where they show with their original destination;"
                        + " they never appear on lo"), out),
                () -> assertTrue(out.contains("other traffic on eth1 bypasses the proxy"), out),
                () -> assertTrue(out.contains("calls rerouted from eth1 (KubeVirt) never show here"), out));
    }

    @Test
    void ownerGroupsAreTheAppsSelectionAndTheProxyStays1337() {
        String out = inspect(Backend.NFTABLES, "owner-groups");
        assertAll(
                () -> assertTrue(out.contains("proxy uids / gids    1337 / 1337"), out),
                () -> assertTrue(out.contains("outbound owners      only groups 202, 3001"), out),
                () -> assertTrue(out.contains("outbound capture covers only sockets of group(s) 202, 3001"), out),
                () -> assertFalse(out.contains("the proxy runs as"), out));
    }

    @Test
    void exemptGroupsAreSaidToBypassTheProxy() {
        String out = inspect(Backend.IPTABLES_NFT, "owner-groups-exclude");
        assertTrue(out.contains("sockets of group(s) 888, 889 are exempt from outbound capture"), out);
        assertTrue(out.contains("proxy uids / gids    1337 / 1337"), out);
    }

    @Test
    void anIncludeAfterAnIdenticalExcludeIsShadowedNotALimit() {
        String out = inspect(Backend.IPTABLES_NFT, "shadowed-include");
        assertAll(
                () -> assertFalse(out.contains("outbound capture is limited to"), out),
                () -> assertFalse(out.contains("outbound included    2001:db8::/32"), out),
                () -> assertTrue(out.contains("(-A ISTIO_OUTPUT -d 2001:db8::/32 -j RETURN) in ISTIO_OUTPUT takes every"
                        + " packet that the rule(s) after it"), out),
                () -> assertTrue(out.contains("- no outbound interception"), out));
    }

    @Test
    void nativeTproxyIsFullyUnderstoodAndItsTunnelPortIsNotExcluded() {
        String out = inspect(Backend.NFTABLES, "tproxy-wildcard");
        assertTrue(out.contains("mode                 TPROXY (sidecar: mangle TPROXY inbound, REDIRECT outbound)"), out);
        assertTrue(out.contains("inbound excluded     15020, 15021, 15090\n"), out);
        assertTrue(out.contains("no built-in chain of the nat table jumps to ISTIO_INBOUND"), out);
    }

    @Test
    void dropInvalidIsExplained() {
        for (Backend backend : List.of(Backend.IPTABLES_LEGACY, Backend.NFTABLES)) {
            String out = inspect(backend, "drop-invalid");
            assertTrue(out.contains("drop INVALID         yes"), out);
            assertTrue(out.contains("eth0 captures still show them, since eth0 sees received packets before netfilter,"
                    + " but they never reach the proxy, the app or a lo leg"), out);
        }
    }

    @Test
    void dnsCaptureNamesTheResolversItCovers() {
        String listed = inspect(Backend.IPTABLES_LEGACY, "dns-resolvers");
        assertTrue(listed.contains("DNS capture          port 53 -> 15053 (only to 10.96.0.10, fd00:10:96::a)"), listed);
        assertTrue(listed.contains("DNS capture is on for the pod's resolvers 10.96.0.10, fd00:10:96::a: queries to them"
                + " go to the DNS proxy"), listed);
        assertTrue(listed.contains("queries to any other server leave eth0 directly"), listed);
        String all = inspect(Backend.IPTABLES_NFT, "dns-all");
        assertTrue(all.contains("DNS capture          port 53 -> 15053 (every server)"), all);
    }
}
