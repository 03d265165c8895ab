package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.cli.CliRun;
import io.meshcap.testing.RuleNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap inspect --pod} and {@code meshcap ports --pod}: pod discovery through the API, the rules and
 * sockets read inside the pod over exec (the seed's rules with outbound port 15101 and proxy uid 201507), the
 * same report as for a namespace, and nothing left in the cluster.
 */
class PodInspectionTest extends AgainstMockCluster {

    private static final String SOCKETS = String.join("\n",
            "tcp LISTEN 0 4096 0.0.0.0:15101 0.0.0.0:* users:((\"envoy\",pid=20,fd=40)) uid:201507 ino:1 sk:1 <->",
            "tcp LISTEN 0 4096 0.0.0.0:15006 0.0.0.0:* users:((\"envoy\",pid=20,fd=41)) uid:201507 ino:2 sk:2 <->",
            "tcp LISTEN 0 4096 127.0.0.1:15000 0.0.0.0:* users:((\"envoy\",pid=20,fd=18)) uid:201507 ino:4 sk:4 <->",
            "tcp LISTEN 0 128 *:9080 *:* users:((\"java\",pid=7,fd=11)) uid:1000 ino:5 sk:5 <->", "");

    @BeforeEach
    void setUp() throws IOException {
        cluster.create(MockCluster.privilegedProxyPod().build());
    }

    private void scriptPod(String sockets) throws IOException {
        cluster.tcpdumpIn(POD, PROXY);
        CaptureArgv.facts().forEach((name, argv) -> {
            if (name.equals(PodFacts.NFT_RULESET)) {
                cluster.execMissing(POD, PROXY, argv);
            }
        });
        Map<String, String> outputs = Map.of(
                PodFacts.IPTABLES_SAVE, seedRules(),
                PodFacts.PORT_RANGE, "20000\t29999\n",
                PodFacts.LISTENING_SOCKETS, sockets);
        CaptureArgv.facts().forEach((name, argv) -> {
            if (!name.equals(PodFacts.NFT_RULESET)) {
                cluster.execReturns(POD, PROXY, argv, outputs.getOrDefault(name, ""), 0);
            }
        });
    }

    /** The pod answers every fact command with what the kernel printed for {@code rules}, and {@code sockets}. */
    private void scriptPodWithKernelRules(RuleNamespace rules, String sockets) throws IOException {
        cluster.tcpdumpIn(POD, PROXY);
        Map<String, String> outputs = Map.of(
                PodFacts.IPTABLES_SAVE, rules.save("iptables-save"),
                PodFacts.IP6TABLES_SAVE, rules.save("ip6tables-save"),
                PodFacts.IPTABLES_LEGACY_SAVE, rules.save("iptables-legacy-save"),
                PodFacts.IPTABLES_NFT_SAVE, rules.save("iptables-nft-save"),
                PodFacts.NFT_RULESET, rules.save("nft", "list", "ruleset"),
                PodFacts.PORT_RANGE, "32768\t60999\n",
                PodFacts.LISTENING_SOCKETS, sockets);
        CaptureArgv.facts().forEach((name, argv) -> cluster.execReturns(POD, PROXY, argv, outputs.getOrDefault(name, ""), 0));
    }

    @Test
    void inspectReadsAPodsVariantRulesAsItReadsANamespace() throws Exception {
        try (RuleNamespace rules = RuleNamespace.create().load(RuleNamespace.Backend.IPTABLES_NFT, "owner-groups")) {
            scriptPodWithKernelRules(rules, SOCKETS);

            CliRun run = CliRun.of("inspect", "--pod", POD, "--kubeconfig", kubeconfig.toString(), "--json");

            assertEquals(0, run.exitCode(), run.toString());
            JsonNode model = new ObjectMapper().readTree(run.out()).get("model");
            assertEquals("IPTABLES_NFT", model.get("backend").asText());
            assertEquals("[1337]", model.get("proxyUids").toString(), "the proxy stays 1337");
            assertEquals("[1337]", model.get("proxyGids").toString(), "the app's groups are not the proxy's");
            assertEquals("[202,3001]", model.get("outboundOwners").get("onlyGroups").toString());
            assertEquals("[]", model.get("unrecognised").toString());
        }
    }

    private static String seedRules() {
        try {
            return PodRulesCaptureTest.seedRulesWithOutboundPort(15101);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void inspectShowsThePodsModelAdviceAndPresetsFromItsOwnRules() throws Exception {
        scriptPod(SOCKETS);
        cluster.requests(); // the pod's creation

        CliRun run = CliRun.of("inspect", "--pod", NAMESPACE + "/" + POD, "--kubeconfig", kubeconfig.toString());

        assertEquals(0, run.exitCode(), run.toString());
        String out = run.out();
        assertTrue(out.startsWith("Interception rules of pod " + NAMESPACE + "/" + POD + "\n"), out);
        assertTrue(out.contains("outbound redirect    port 15101"), out);
        assertTrue(out.contains("201507 / 201507"), "proxy uid and gid from the rules: " + out);
        assertTrue(out.contains("20000-29999 (read from the namespace)"), out);
        assertTrue(out.contains("nft-ruleset in " + NAMESPACE + "/" + POD + ": exit 127"), "what could not be read: " + out);
        assertTrue(out.contains("dst port 15101"), "the outbound-plain preset uses the rules' port: " + out);
        assertTrue(out.contains("dst port 9080"), "the inbound presets use the app port: " + out);
        assertTrue(cluster.requests().stream().noneMatch(MockCluster::changesSomething),
                "the exec strategy creates nothing in the cluster");
    }

    @Test
    void portsShowsTheLiveSocketsOfThePodWithTheirIstioRole() throws Exception {
        scriptPod(SOCKETS);

        CliRun run = CliRun.of("ports", "--pod", POD, "--kubeconfig", kubeconfig.toString());

        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals("Listening sockets in pod " + NAMESPACE + "/" + POD, lines.get(0));
        String inbound = lines.stream().filter(l -> l.contains(" 15006 ")).findFirst().orElseThrow();
        assertTrue(inbound.contains("envoy[20]") && inbound.contains("sidecar"), inbound);
        String app = lines.stream().filter(l -> l.contains(" 9080 ")).findFirst().orElseThrow();
        assertTrue(app.contains("java[7]") && app.contains("not an Istio port"), app);
        // The pod's own rules (read in the pod, as inspect reads them) say how calls reach each socket.
        assertTrue(app.endsWith("yes: through the proxy"), app);
        assertTrue(inbound.endsWith("the proxy's own capture port"), inbound);
        String admin = lines.stream().filter(l -> l.contains(" 15000 ")).findFirst().orElseThrow();
        assertTrue(admin.endsWith("no: bound to loopback, no calls from outside"), admin);
    }

    @Test
    void aPodThatDoesNotExistIsOneClearLine() {
        for (String command : List.of("inspect", "ports")) {
            CliRun run = CliRun.of(command, "--pod", "nope", "--kubeconfig", kubeconfig.toString());

            assertEquals(1, run.exitCode(), run.toString());
            assertEquals(List.of("meshcap: pod " + NAMESPACE + "/nope not found; list the pods with: kubectl get pods -n "
                    + NAMESPACE), run.err().lines().toList());
            assertEquals("", run.out());
        }
    }

    @Test
    void inspectReadsOnePodNotASelector() {
        CliRun run = CliRun.of("inspect", "--selector", "app=reviews", "--kubeconfig", kubeconfig.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("meshcap inspect reads one pod: give --pod [NS/]NAME, not --selector"), run.err());
    }
}
