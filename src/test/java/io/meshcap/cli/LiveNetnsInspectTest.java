package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.testing.OwnedNamespaces;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Loads the default injection's rules into a network namespace of its own and reads them back through
 * {@code meshcap inspect --netns}. Needs root (CI runs as root) and iptables; it never skips.
 */
class LiveNetnsInspectTest {

    private static final String NAMESPACE = "mcistio-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    /** A range unlike the kernel default, so reading it proves meshcap looked inside the namespace. */
    private static final String PORT_RANGE = "40000 50999";

    @BeforeAll
    static void createNamespaceWithIstioRules() throws Exception {
        OwnedNamespaces.add(NAMESPACE);
        run(null, "ip", "netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up");
        try (InputStream rules = LiveNetnsInspectTest.class.getResourceAsStream("/rules/sources/default.v4")) {
            run(rules.readAllBytes(), "ip", "netns", "exec", NAMESPACE, "iptables-restore");
        }
        run(null, "ip", "netns", "exec", NAMESPACE, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=" + PORT_RANGE);
    }

    @AfterAll
    static void deleteNamespace() throws Exception {
        OwnedNamespaces.delete(NAMESPACE);
    }

    @Test
    void inspectReadsTheRulesBack() throws Exception {
        CliRun run = CliRun.of("inspect", "--netns", NAMESPACE, "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        JsonNode model = json.get("model");
        assertEquals("network namespace " + NAMESPACE, json.get("source").asText());
        assertEquals("REDIRECT", model.get("mode").asText());
        assertEquals(15001, model.get("outboundRedirectPort").asInt());
        assertEquals(15006, model.get("inboundRedirectPort").asInt());
        assertEquals("[1337]", model.get("proxyUids").toString());
        assertEquals("[15008,15020,15021,15090]", model.get("inboundExcludedPorts").toString());
        assertEquals(0, model.get("unrecognised").size(), model.get("unrecognised").toString());
        assertTrue(json.get("ephemeralPortRangeKnown").asBoolean());
        assertEquals(40000, json.get("ephemeralPortRange").get("low").asInt());
        assertEquals(50999, json.get("ephemeralPortRange").get("high").asInt());
    }

    @Test
    void inspectByPidEntersTheProcesssNamespace() throws Exception {
        Process sleeper = new ProcessBuilder("ip", "netns", "exec", NAMESPACE, "sleep", "60").start();
        try {
            awaitExec(sleeper.pid(), "sleep");
            CliRun run = CliRun.of("inspect", "--pid", Long.toString(sleeper.pid()));
            assertEquals(0, run.exitCode(), run.err());
            assertTrue(run.out().contains("REDIRECT (sidecar: nat REDIRECT inbound and outbound)"), run.out());
            assertTrue(run.out().contains("ephemeral ports      40000-50999 (read from the namespace)"), run.out());
        } finally {
            sleeper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void portsListsTheNamespacesSockets() {
        CliRun run = CliRun.of("ports", "--netns", NAMESPACE);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("Listening sockets in network namespace " + NAMESPACE), run.out());
    }

    /** ip netns exec enters the namespace, then execs the command: wait until the process is the command. */
    private static void awaitExec(long pid, String command) throws IOException, InterruptedException {
        Path comm = Path.of("/proc/" + pid + "/comm");
        for (int attempt = 0; attempt < 100; attempt++) {
            if (Files.exists(comm) && Files.readString(comm).strip().equals(command)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("process " + pid + " did not become " + command);
    }

    private static void run(byte[] input, String... argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(argv));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (input != null) {
            process.getOutputStream().write(input);
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed (run as root with iptables installed:"
                    + " apt-get install -y iptables nftables): " + output);
        }
    }
}
