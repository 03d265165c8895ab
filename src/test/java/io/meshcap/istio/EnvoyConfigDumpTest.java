package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Envoy config dumps of a sidecar (src/test/resources/envoy, written in the shape Istio 1.24's
 * {@code pilot-agent request GET config_dump} prints): which sockets carry Istio mTLS, and where a key log is.
 */
class EnvoyConfigDumpTest {

    private static final String PATH = "/etc/istio/proxy/meshcap-t3st01-tls-keys.log";
    private static final String RATINGS = "outbound|9080||ratings.shop.svc.cluster.local";

    static String resource(String name) {
        try (InputStream in = EnvoyConfigDumpTest.class.getResourceAsStream("/envoy/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theTargetsAreTheInboundMtlsChainsAndTheClustersWhoseIstioSocketAMergeReaches() {
        KeyLogTargets targets = EnvoyConfigDump.parse(resource("config-dump-reviews.json")).keyLogTargets();

        assertEquals(List.of(
                new KeyLogTargets.InboundChain("0.0.0.0_9080", 9080, "tls",
                        List.of("istio-http/1.0", "istio-http/1.1", "istio-h2")),
                new KeyLogTargets.InboundChain("0.0.0.0_9080", 9080, "tls", List.of())), targets.inbound());
        // Not the plaintext raw_buffer chain of the same port, not the blackhole; not Passthrough, BlackHole or a
        // cluster without TLS; not the static clusters.
        assertEquals(List.of(RATINGS), targets.clusters());
        assertEquals(List.of(), targets.leftOut());
        assertEquals(List.of(
                "inbound chain 0.0.0.0_9080 (port 9080, tls, ALPN istio-http/1.0,istio-http/1.1,istio-h2)",
                "inbound chain 0.0.0.0_9080 (port 9080, tls)",
                "cluster " + RATINGS), targets.describe());
    }

    @Test
    void noKeyLogBeforeThePatchAndOnEveryIstioSocketAfterIt() {
        assertEquals(Map.of(), EnvoyConfigDump.parse(resource("config-dump-reviews.json")).keyLogged(PATH));

        Map<String, EnvoyConfigDump.KeyLogged> logged = EnvoyConfigDump.parse(
                resource("config-dump-reviews-key-log.json")).keyLogged(PATH);

        EnvoyConfigDump.KeyLogged pod = new EnvoyConfigDump.KeyLogged(
                Set.of("10.244.1.17/32", "fd00:10:244:1::11/128"), true);
        assertEquals(Map.of(
                "inbound chain 0.0.0.0_9080 (port 9080, tls, ALPN istio-http/1.0,istio-http/1.1,istio-h2)", pod,
                "inbound chain 0.0.0.0_9080 (port 9080, tls)", pod,
                "cluster " + RATINGS, pod), logged);
        assertEquals(Map.of(), EnvoyConfigDump.parse(resource("config-dump-reviews-key-log.json"))
                .keyLogged("/etc/istio/proxy/meshcap-other1-tls-keys.log"), "another run's key log is not this one");
    }

    @Test
    void aKeyLogOnAPlaintextChainIsReportedAsNotIstioMtls() {
        // A raw_buffer chain that a patch turned into TLS: the socket has the key log but no workload certificate.
        String dump = """
                {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                  "dynamic_listeners": [{"name": "virtualInbound", "active_state": {"listener": {"filter_chains": [
                    {"name": "0.0.0.0_9080", "filter_chain_match": {"destination_port": 9080,
                      "transport_protocol": "raw_buffer"},
                     "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                       "common_tls_context": {"key_log": {"path": "%s"}}}}}]}}}]}]}
                """.formatted(PATH);

        assertEquals(Map.of("inbound chain 0.0.0.0_9080 (port 9080, raw_buffer)",
                new EnvoyConfigDump.KeyLogged(Set.of(), false)), EnvoyConfigDump.parse(dump).keyLogged(PATH));
    }

    @Test
    void anMtlsChainThatNoMatchCanSeparateFromAPlaintextOneIsLeftOutAndSaid() {
        // Same name and port, no transport protocol or ALPN to tell them apart: a patch would reach both.
        String dump = """
                {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                  "dynamic_listeners": [{"name": "virtualInbound", "active_state": {"listener": {"filter_chains": [
                    {"name": "inbound_8443", "filter_chain_match": {"destination_port": 8443},
                     "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                       "common_tls_context": {"tls_certificate_sds_secret_configs": [{"name": "default"}]}}}},
                    {"name": "inbound_8443", "filter_chain_match": {"destination_port": 8443}}]}}}]}]}
                """;

        KeyLogTargets targets = EnvoyConfigDump.parse(dump).keyLogTargets();

        assertTrue(targets.isEmpty(), targets.toString());
        assertEquals(List.of("inbound chain inbound_8443 (port 8443): a patch that selects it would also select "
                + "inbound chain inbound_8443 (port 8443), which has no Istio mTLS of its own"), targets.leftOut());
    }

    @Test
    void updatesEnvoyRejectedAreNamedWithItsReason() {
        String dump = """
                {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                  "dynamic_active_clusters": [{"cluster": {"name": "outbound|9080||ratings.shop.svc.cluster.local"},
                    "error_state": {"details": "Proto constraint validation failed: TlsKeyLogValidationError.Path"}}]}]}
                """;

        assertEquals(List.of("cluster outbound|9080||ratings.shop.svc.cluster.local: Proto constraint validation "
                + "failed: TlsKeyLogValidationError.Path"), EnvoyConfigDump.parse(dump).rejectedUpdates());
    }

    @Test
    void somethingElseIsRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnvoyConfigDump.parse("{\"listeners\": []}"));
        assertEquals("not an Envoy config dump: it has no \"configs\" list", e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EnvoyConfigDump.parse("upstream connect error"))
                .getMessage().startsWith("not JSON: "));
    }
}
