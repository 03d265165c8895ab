package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.lab.LabFixture;
import io.meshcap.sys.CommandRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshcap lab} up, status, traffic and down, run in the test's JVM on a lab of the test's own: what each
 * prints, line by line, against what {@code ip netns} shows, and each exit code. The second test breaks the lab.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabCommandLabTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    private final String name = LAB.lab().config().name();

    @TempDir
    Path dir;

    @Test
    @Order(1)
    void upStatusAndTrafficSayWhatTheLabIsAndDid() throws Exception {
        CliRun up = CliRun.of("lab", "up", "--name", name);
        assertEquals(0, up.exitCode(), up.toString());
        List<String> lines = up.out().lines().toList();
        assertEquals("lab " + name + " is up", lines.get(0));
        assertHealthy(lines);
        assertEquals("  TLS keys:   /run/meshcap/lab/" + name + "/tls-keys.log (mode 0600; give it to capture or merge"
                + " --tls-keylog to read the mTLS legs)", lines.get(lines.size() - 1));
        assertFalse(up.out().contains("nat table"), "up leaves the counters to status: " + up.out());

        CliRun status = CliRun.of("lab", "status", "--name", name);
        assertEquals(0, status.exitCode(), status.toString());
        lines = status.out().lines().toList();
        assertEquals("lab " + name + ": up", lines.get(0));
        assertHealthy(lines);
        List<String> table = lines.subList(lines.indexOf("  ipv4 nat table of " + name + "-pod:") + 1, lines.size());
        assertTrue(table.stream().allMatch(line -> line.startsWith("    ")), table::toString);
        assertTrue(table.stream().anyMatch(line -> line.contains("REDIRECT") && line.endsWith("redir ports 15006")),
                table::toString);
        assertTrue(table.stream().anyMatch(line -> line.contains("REDIRECT") && line.endsWith("redir ports 15001")),
                table::toString);

        Path ledger = dir.resolve("ledger.json");
        CliRun traffic = CliRun.of("lab", "traffic", "--name", name, "--inbound", "1", "--outbound", "1", "--json",
                ledger.toString());
        assertEquals(0, traffic.exitCode(), traffic.toString());
        lines = traffic.out().lines().toList();
        assertEquals(4, lines.size(), traffic.out());
        assertTrue(lines.get(0).matches("  1 inbound  ipv4 198\\.18\\.0\\.1:\\d+ -> 198\\.18\\.0\\.2:(8080|9080)  app saw"
                + " 127\\.0\\.0\\.6:\\d+ -> 198\\.18\\.0\\.2:\\1  (\\d+)/\\2 bytes  ok"), lines.get(0));
        assertTrue(lines.get(1).matches("  2 outbound ipv4 198\\.18\\.0\\.2:\\d+ -> 198\\.18\\.0\\.1:(8080|9080)  upstream"
                + " saw 198\\.18\\.0\\.2:\\d+ -> 198\\.18\\.0\\.1:\\1  (\\d+)/\\2 bytes  ok"), lines.get(1));
        assertEquals("ledger written to " + ledger, lines.get(2));
        assertEquals("2 connections, all through the sidecar, all payloads verified", lines.get(3));
        assertEquals(2, new ObjectMapper().readTree(ledger.toFile()).get("connections").size());
        Path nowhere = dir.resolve("missing").resolve("ledger.json");
        CliRun unwritable = CliRun.of("lab", "traffic", "--name", name, "--inbound", "1", "--outbound", "0", "--json",
                nowhere.toString());
        assertEquals(1, unwritable.exitCode(), unwritable.toString());
        assertTrue(unwritable.err().startsWith("meshcap: cannot write the ledger to " + nowhere + ": "),
                unwritable.err());
        assertTrue(unwritable.out().startsWith("  1 inbound  ipv4 "), "the calls made are listed: " + unwritable.out());

        // The demo's lab has other ports: the demo, told this lab's name, leaves it as it is.
        CliRun demo = CliRun.of("demo", "--name", name, "-o", dir.resolve("demo.pcapng").toString());
        assertEquals(1, demo.exitCode(), demo.toString());
        assertEquals("meshcap: lab " + name + " is up with settings of its own, not the demo's: give the demo another"
                + " --name (or remove that lab with meshcap lab down --name " + name + ")", demo.err().strip());
        assertEquals(0, CliRun.of("lab", "status", "--name", name).exitCode(), "the lab is still up");

        CliRun conflict = CliRun.of("lab", "up", "--name", name, "--ipv6");
        assertEquals(1, conflict.exitCode(), conflict.toString());
        assertEquals("meshcap: lab " + name + " is already up with different settings (proxy uid 1337, app ports"
                + " [8080, 9080], IPv4 only): run meshcap lab down --name " + name + " first", conflict.err().strip());
    }

    @Test
    @Order(2)
    void aBrokenLabIsIncompleteUntilUpCompletesItAndDownRemovesIt() throws Exception {
        long app = pid(CliRun.of("lab", "status", "--name", name).out(), "app");
        ProcessHandle.of(app).orElseThrow().destroy();
        ProcessHandle.of(app).ifPresent(process -> process.onExit().orTimeout(30, TimeUnit.SECONDS).join());
        CommandRunner.check("flush the pod's nat rules",
                List.of("ip", "netns", "exec", name + "-pod", "iptables", "-t", "nat", "-F"));

        CliRun broken = CliRun.of("lab", "status", "--name", name);
        assertEquals(1, broken.exitCode(), broken.toString());
        List<String> lines = broken.out().lines().toList();
        assertEquals("lab " + name + ": incomplete (run meshcap lab up --name " + name + " to complete it, or down to"
                + " remove it)", lines.get(0));
        assertTrue(lines.contains("  app:       not running"), broken.out());
        assertTrue(lines.contains("  ipv4:      Istio nat rules MISSING or changed (meshcap lab up reloads them)"),
                broken.out());

        CliRun traffic = CliRun.of("lab", "traffic", "--name", name);
        assertEquals(1, traffic.exitCode(), traffic.toString());
        assertEquals("meshcap: lab " + name + " is not up: run meshcap lab up --name " + name + " (meshcap lab status"
                + " --name " + name + " shows what is missing)", traffic.err().strip());

        CliRun up = CliRun.of("lab", "up", "--name", name);
        assertEquals(0, up.exitCode(), up.toString());
        assertHealthy(up.out().lines().toList());
        assertEquals(0, CliRun.of("lab", "status", "--name", name).exitCode());

        CommandRunner.check("delete the mesh namespace", List.of("ip", "netns", "del", name + "-mesh"));
        CliRun missing = CliRun.of("lab", "status", "--name", name);
        assertEquals(1, missing.exitCode(), missing.toString());
        assertEquals("  namespaces: " + name + "-pod, " + name + "-mesh (missing)", missing.out().lines().toList().get(1));

        CliRun down = CliRun.of("lab", "down", "--name", name);
        assertEquals(0, down.exitCode(), down.toString());
        assertEquals("lab " + name + " is down\n", down.out());
        assertFalse(namespaces().contains(name + "-pod"), namespaces());
        CliRun gone = CliRun.of("lab", "status", "--name", name);
        assertEquals(2, gone.exitCode(), gone.toString());
        assertEquals("meshcap: there is no lab named " + name + " (meshcap lab up --name " + name + " creates it)",
                gone.err().strip());
    }

    /** The lines {@code up} and {@code status} print for a complete default lab, after their first. */
    private void assertHealthy(List<String> lines) {
        String pod = name + "-pod";
        String mesh = name + "-mesh";
        assertEquals("  namespaces: " + pod + ", " + mesh, lines.get(1));
        assertEquals("  settings:   proxy uid 1337, app ports [8080, 9080], IPv4 only", lines.get(2));
        String text = String.join("\n", lines);
        List<String> podPids = pids(pod);
        assertTrue(lines.get(3).startsWith("  sidecar:   pid ") && podPids.contains(pid(text, "sidecar") + ""), text);
        assertTrue(lines.get(4).startsWith("  app:       pid ") && podPids.contains(pid(text, "app") + ""), text);
        assertTrue(lines.get(5).startsWith("  upstream:  pid ") && pids(mesh).contains(pid(text, "upstream") + ""),
                text);
        assertEquals("  ipv4:      Istio nat rules loaded", lines.get(6));
        assertEquals("  pod addresses (" + pod + "):", lines.get(7));
        assertTrue(lines.get(9).startsWith("    eth0") && lines.get(9).contains(" 198.18.0.2/24 "), text);
        assertEquals("  mesh addresses (" + mesh + "):", lines.get(10));
        assertTrue(lines.get(12).startsWith("    to-pod") && lines.get(12).contains(" 198.18.0.1/24 "), text);
    }

    private static long pid(String status, String role) {
        Matcher matcher = PID.matcher(status.lines().filter(line -> line.startsWith("  " + role + ":")).findFirst()
                .orElseThrow());
        assertTrue(matcher.find(), status);
        return Long.parseLong(matcher.group(1));
    }

    private static List<String> pids(String namespace) {
        return CommandRunner.check("ip netns pids", List.of("ip", "netns", "pids", namespace)).stdout().lines()
                .map(String::strip).toList();
    }

    private static String namespaces() {
        return CommandRunner.check("ip netns list", List.of("ip", "netns", "list")).stdout();
    }
}
