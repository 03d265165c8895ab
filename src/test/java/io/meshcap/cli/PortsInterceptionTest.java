package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.testing.RuleNamespace;
import io.meshcap.testing.RuleNamespace.Backend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap ports --netns}: next to each listening socket, whether the namespace's rules send calls to it
 * through the proxy, read from Istio's rules loaded into a namespace of the test's own with real listeners in it.
 */
class PortsInterceptionTest {

    /** Listens on each "address:port" (TCP), then says "ready" and waits to be killed. */
    private static final String LISTENERS = String.join("\n",
            "import socket, sys, time",
            "held = []",
            "for spec in sys.argv[1:]:",
            "    host, port = spec.rsplit(':', 1)",
            "    s = socket.socket()",
            "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "    s.bind((host, int(port)))",
            "    s.listen()",
            "    held.append(s)",
            "print('ready', flush=True)",
            "time.sleep(120)");

    private static Map<Integer, String> inboundPaths(Backend backend, String variant, String... listeners) throws Exception {
        try (RuleNamespace namespace = RuleNamespace.create().load(backend, variant)) {
            List<String> argv = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace.name(), "python3", "-c",
                    LISTENERS));
            argv.addAll(List.of(listeners));
            Process holder = new ProcessBuilder(argv).redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("ready", out.readLine(), "the listeners did not start");
                CliRun text = CliRun.of("ports", "--netns", namespace.name());
                assertEquals(0, text.exitCode(), text::toString);
                assertTrue(text.out().lines().skip(1).findFirst().orElse("").contains("INTERCEPTED"), text.out());
                CliRun json = CliRun.of("ports", "--netns", namespace.name(), "--json");
                assertEquals(0, json.exitCode(), json::toString);
                Map<Integer, String> paths = new TreeMap<>();
                for (JsonNode socket : new ObjectMapper().readTree(json.out())) {
                    paths.put(socket.get("port").asInt(), socket.get("inbound").asText());
                }
                return paths;
            } finally {
                holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void eachListenerSaysWhetherInboundCallsGoThroughTheProxy() throws Exception {
        Map<Integer, String> paths = inboundPaths(Backend.IPTABLES_NFT, "kubevirt", "0.0.0.0:8080", "0.0.0.0:15006",
                "0.0.0.0:15021", "127.0.0.1:15000");
        assertEquals(Map.of(8080, "THROUGH_PROXY", 15006, "PROXY_PORT", 15021, "EXCLUDED", 15000, "LOOPBACK_ONLY"), paths);
    }

    @Test
    void onlyIncludedPortsGoThroughTheProxy() throws Exception {
        Map<Integer, String> paths = inboundPaths(Backend.NFTABLES, "shadowed-include", "0.0.0.0:4000", "0.0.0.0:8080");
        assertEquals(Map.of(4000, "THROUGH_PROXY", 8080, "NOT_INCLUDED"), paths);
    }
}
