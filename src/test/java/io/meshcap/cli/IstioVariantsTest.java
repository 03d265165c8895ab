package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshcap.testing.RuleNamespace;
import io.meshcap.testing.RuleNamespace.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every interception variant Istio writes, read the way users read it: each option's rules (rules/variants/, written
 * as istio-iptables and istio-nftables generate them; see rules/README.md) are loaded into a namespace of the test's
 * own with the kernel's tools, for each back end that can hold them, then read live ({@code inspect --netns}) and
 * from the dump the save tools print ({@code inspect --rules}). Both must give every fact of the model below, and
 * nothing may be "not understood". The expected facts are literals: the default injection's, changed by what each
 * option does.
 */
class IstioVariantsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The model fields compared, as {@code inspect --json} prints them. */
    private static final List<String> FACTS = List.of("backend", "mode", "outboundRedirectPort", "inboundRedirectPort",
            "hboneTunnelPort", "interceptsInbound", "interceptsOutbound", "inboundCapturesAllPorts",
            "inboundExcludedPorts", "inboundIncludedPorts", "outboundCapturesAll", "outboundExcludedCidrs",
            "outboundIncludedCidrs", "outboundExcludedPorts", "outboundIncludedPorts", "proxyUids", "proxyGids",
            "outboundOwners", "proxyMark", "tproxyMark", "dnsRedirectPort", "dnsResolvers", "excludedInterfaces",
            "reroutedInterfaces", "dropsInvalid", "inboundLoopbackSource", "unrecognised", "shadowing");

    /** The expected facts: the default sidecar injection, with what a variant changes. */
    record Facts(Map<String, JsonNode> values) {

        static Facts sidecar() {
            Map<String, JsonNode> values = new LinkedHashMap<>();
            Facts facts = new Facts(values);
            return facts.with("mode", "\"REDIRECT\"").with("outboundRedirectPort", "15001")
                    .with("inboundRedirectPort", "15006").with("hboneTunnelPort", "null")
                    .with("interceptsInbound", "true").with("interceptsOutbound", "true")
                    .with("inboundCapturesAllPorts", "true").with("inboundExcludedPorts", "[15008,15020,15021,15090]")
                    .with("inboundIncludedPorts", "[]").with("outboundCapturesAll", "true")
                    .with("outboundExcludedCidrs", "[]").with("outboundIncludedCidrs", "[]")
                    .with("outboundExcludedPorts", "[]").with("outboundIncludedPorts", "[]")
                    .with("proxyUids", "[1337]").with("proxyGids", "[1337]")
                    .with("outboundOwners", owners("[]", "[]", "[]", "[]"))
                    .with("proxyMark", "null").with("tproxyMark", "null").with("dnsRedirectPort", "null")
                    .with("dnsResolvers", "[]").with("excludedInterfaces", "[]").with("reroutedInterfaces", "[]")
                    .with("dropsInvalid", "false").with("inboundLoopbackSource", "\"ENVOY_BIND_ADDRESS\"")
                    .with("unrecognised", "[]").with("shadowing", "[]");
        }

        Facts with(String field, String json) {
            Map<String, JsonNode> changed = new LinkedHashMap<>(values);
            try {
                changed.put(field, JSON.readTree(json));
            } catch (Exception e) {
                throw new IllegalArgumentException(json, e);
            }
            return new Facts(changed);
        }

        static String owners(String onlyGroups, String exemptGroups, String onlyUsers, String exemptUsers) {
            return "{\"onlyGroups\":" + onlyGroups + ",\"exemptGroups\":" + exemptGroups + ",\"onlyUsers\":" + onlyUsers
                    + ",\"exemptUsers\":" + exemptUsers + "}";
        }
    }

    record Row(String variant, Backend backend, Facts facts) {
        @Override
        public String toString() {
            return variant + " (" + backend + ")";
        }
    }

    static Stream<Row> variants() {
        Facts sidecar = Facts.sidecar();
        List<Row> rows = new ArrayList<>();
        // istio-iptables --kube-virt-interfaces eth1,eth2: the VM's traffic entering there goes to the outbound port.
        all(rows, "kubevirt", sidecar.with("reroutedInterfaces",
                "[{\"name\":\"eth2\",\"destinations\":[]},{\"name\":\"eth1\",\"destinations\":[]}]"));
        // ... with -i 10.0.0.0/8: only destinations in the include are rerouted (and captured for the app).
        all(rows, "kubevirt-cidr", sidecar.with("outboundCapturesAll", "false")
                .with("outboundIncludedCidrs", "[\"10.0.0.0/8\"]")
                .with("reroutedInterfaces", "[{\"name\":\"eth2\",\"destinations\":[\"10.0.0.0/8\"]},"
                        + "{\"name\":\"eth1\",\"destinations\":[\"10.0.0.0/8\"]}]"));
        // ISTIO_OUTBOUND_OWNER_GROUPS=3001,202: the app's groups; the proxy stays 1337.
        all(rows, "owner-groups", sidecar.with("outboundOwners", Facts.owners("[202,3001]", "[]", "[]", "[]")));
        // ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888,889: same rule shape as the proxy's own gid RETURN.
        all(rows, "owner-groups-exclude", sidecar.with("outboundOwners", Facts.owners("[]", "[888,889]", "[]", "[]")));
        // Owner users: only uids 1000 and 1001 are captured; the proxy uid stays 1337.
        iptables(rows, "owner-users", sidecar.with("outboundOwners", Facts.owners("[]", "[]", "[1000,1001]", "[]")));
        // TPROXY with every inbound port: 15008 is only excluded in nat's ISTIO_INBOUND, which nothing jumps to.
        all(rows, "tproxy-wildcard", sidecar.with("mode", "\"TPROXY\"").with("tproxyMark", "\"0x539\"")
                .with("inboundExcludedPorts", "[15020,15021,15090]")
                .with("inboundLoopbackSource", "\"ORIGINAL_CLIENT\""));
        // -x 2001:db8::/32 and -i 2001:db8::/32: the include comes after an identical exclude and never applies.
        all(rows, "shadowed-include", sidecar.with("inboundCapturesAllPorts", "false")
                .with("inboundExcludedPorts", "[15008]").with("inboundIncludedPorts", "[4000,5000]")
                .with("outboundCapturesAll", "false").with("interceptsOutbound", "false")
                .with("outboundExcludedCidrs", "[\"2001:db8::/32\"]")
                .with("reroutedInterfaces", "[{\"name\":\"eth1\",\"destinations\":[\"2001:db8::/32\"]},"
                        + "{\"name\":\"eth0\",\"destinations\":[\"2001:db8::/32\"]}]")
                .with("shadowing", "[{\"chain\":\"ISTIO_OUTPUT\",\"shadowed\":1}]"));
        // INVALID_DROP=true: conntrack-INVALID packets are dropped before the proxy.
        all(rows, "drop-invalid", sidecar.with("dropsInvalid", "true"));
        // DNS capture for the pod's resolvers only.
        all(rows, "dns-resolvers", sidecar.with("dnsRedirectPort", "15053")
                .with("dnsResolvers", "[\"10.96.0.10\",\"fd00:10:96::a\"]"));
        // DNS capture of every server.
        iptables(rows, "dns-all", sidecar.with("dnsRedirectPort", "15053"));
        // HostIPv4LoopbackCidr=127.0.0.1/8: the loopback RETURN widens; it excludes no real destination.
        iptables(rows, "loopback-cidr", sidecar);
        return rows.stream();
    }

    private static void all(List<Row> rows, String variant, Facts facts) {
        iptables(rows, variant, facts);
        rows.add(new Row(variant, Backend.NFTABLES, facts.with("backend", "\"NFTABLES\"")));
    }

    private static void iptables(List<Row> rows, String variant, Facts facts) {
        rows.add(new Row(variant, Backend.IPTABLES_LEGACY, facts.with("backend", "\"IPTABLES_LEGACY\"")));
        rows.add(new Row(variant, Backend.IPTABLES_NFT, facts.with("backend", "\"IPTABLES_NFT\"")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void readLiveAndFromTheSavedDumpAlike(Row row, @TempDir Path dir) throws Exception {
        try (RuleNamespace namespace = RuleNamespace.create().load(row.backend(), row.variant())) {
            Path saved = dir.resolve("saved.txt");
            Files.writeString(saved, namespace.dump());
            JsonNode live = inspect("--netns", namespace.name());
            JsonNode offline = inspect("--rules", saved.toString());
            assertFacts(row.facts(), live, "live (--netns)");
            assertFacts(row.facts(), offline, "offline (--rules)");
        }
    }

    static JsonNode inspect(String... source) throws Exception {
        List<String> args = new ArrayList<>(List.of("inspect", "--json"));
        args.addAll(List.of(source));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        return JSON.readTree(run.out()).get("model");
    }

    /** Compares the facts; shadowing rules by chain and number of rules they hide (their text differs by back end). */
    static void assertFacts(Facts expected, JsonNode model, String how) {
        ObjectNode actual = model.deepCopy();
        ArrayNode shadowing = JSON.createArrayNode();
        model.get("shadowingRules").forEach(rule -> shadowing.addObject().put("chain", rule.get("chain").asText())
                .put("shadowed", rule.get("shadowedLines").size()));
        actual.set("shadowing", shadowing);
        assertAll(how, FACTS.stream().map(field -> () -> assertEquals(expected.values().get(field), actual.get(field),
                how + ": " + field + (field.equals("unrecognised") ? "" : " (rules not understood: "
                        + actual.get("unrecognised") + ")"))));
    }
}
