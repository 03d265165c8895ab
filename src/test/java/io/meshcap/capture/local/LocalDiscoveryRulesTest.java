package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A namespace of its own whose rules send inbound traffic to a port other than Istio's 15006: discovery and the
 * capture plan take both redirect ports from the rules. Needs root (CI runs as root) and iptables; it never skips.
 */
class LocalDiscoveryRulesTest {

    private static final String NAMESPACE = "mcistio-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private static final int INBOUND_PORT = 15222;

    @BeforeAll
    static void createNamespaceWithAnotherInboundPort() throws IOException {
        String rules;
        try (InputStream in = LocalDiscoveryRulesTest.class.getResourceAsStream("/rules/sources/default.v4")) {
            rules = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("--to-ports " + IstioDefaults.INBOUND_CAPTURE_PORT, "--to-ports " + INBOUND_PORT);
        }
        CommandRunner.check("create the test namespace", List.of("ip", "netns", "add", NAMESPACE));
        CommandRunner.check("load Istio's rules (apt-get install -y iptables)",
                List.of("ip", "netns", "exec", NAMESPACE, "iptables-restore"), rules);
    }

    @AfterAll
    static void deleteNamespace() {
        CommandRunner.check("delete the test namespace", List.of("ip", "netns", "delete", NAMESPACE));
    }

    @Test
    void discoveryTakesBothRedirectPortsFromTheRules() {
        TargetFacts facts = LocalDiscovery.discover(NetworkNamespace.named(NAMESPACE));
        assertEquals(IstioDefaults.OUTBOUND_CAPTURE_PORT, facts.outboundPort());
        assertEquals(INBOUND_PORT, facts.inboundPort());
    }

    @Test
    void theCapturePlanUndoesTheRedirectToTheRulesPorts() {
        CliRun run = CliRun.of("capture", "outbound-plain", "--netns", NAMESPACE, "--pod-ip", "198.18.0.2", "--print-plan");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("re-associate: yes, undoing the REDIRECT to ports 15001 (outbound) and "
                + INBOUND_PORT + " (inbound)"), run.out());
    }

    @Test
    void theOutboundPortFlagStillOverridesTheRules() {
        CliRun run = CliRun.of("capture", "outbound-plain", "--netns", NAMESPACE, "--pod-ip", "198.18.0.2",
                "--outbound-port", "15101", "--print-plan");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("re-associate: yes, undoing the REDIRECT to ports 15101 (outbound) and "
                + INBOUND_PORT + " (inbound)"), run.out());
    }
}
