package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.istio.PortGuide;
import io.meshcap.istio.SsParser;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PortsCommandTest {

    @Test
    void guideIsAnAlignedTable() {
        CliRun run = CliRun.of("ports");
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        assertTrue(lines.get(0).startsWith("COMPONENT  PORT   PROTO  BIND"), lines.get(0));
        int roleColumn = lines.get(0).indexOf("ROLE");
        lines.stream().skip(1).forEach(line -> assertEquals(' ', line.charAt(roleColumn - 1), line));
        assertTrue(run.out().contains("sidecar    15001  tcp    0.0.0.0    outbound capture"), run.out());
        assertTrue(run.out().contains("gateway    15443"), run.out());
    }

    @Test
    void guideAsJson() throws Exception {
        CliRun run = CliRun.of("ports", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode entries = new ObjectMapper().readTree(run.out());
        assertEquals(PortGuide.bundled().entries().size(), entries.size());
        assertEquals("sidecar", entries.get(0).get("component").asText());
    }

    @Test
    void socketsAreAnnotatedByOwnerAndPort() {
        String ss = """
                tcp   LISTEN 0      4096       0.0.0.0:15001      0.0.0.0:*    users:(("envoy",pid=3555,fd=41),("envoy",pid=3555,fd=35))
                tcp   LISTEN 0      4096       0.0.0.0:15008      0.0.0.0:*
                tcp   LISTEN 0      128        0.0.0.0:8080       0.0.0.0:*    users:(("java",pid=12,fd=7))
                """;
        List<PortsCommand.AnnotatedSocket> sockets = PortsCommand.annotate(PortGuide.bundled(), SsParser.parse(ss).sockets(),
                Optional.empty());
        assertEquals("sidecar", sockets.get(0).component());
        assertEquals("ztunnel", sockets.get(1).component());
        assertEquals(null, sockets.get(2).component());
    }

    @Test
    void unknownNamespaceIsAUsageError() {
        CliRun run = CliRun.of("ports", "--netns", "mcistio-does-not-exist");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().startsWith("meshcap: no network namespace"), run.err());
    }
}
