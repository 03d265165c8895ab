package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.reassoc.StreamTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshcap streams} as a user runs it, on a small hand-built lo capture. */
class StreamsCommandTest {

    @TempDir
    Path dir;

    @Test
    void listsTheConnectionReassociatedOnTheFly() {
        Path in = ReassociateCommandTest.handshake(dir.resolve("lo.pcap"), 15001);
        CliRun run = CliRun.of("streams", in.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(line -> line.matches("0\\s+\\S+\\s+outbound-plain\\s+198\\.18\\.0\\.2:40000"
                + "\\s+198\\.18\\.0\\.1:8080\\s+lo\\.pcap\\s+2\\s+open.*")), run.out());
        assertTrue(run.out().contains("joins (0):") && run.out().contains("ambiguous (0):"), run.out());
    }

    @Test
    void columnsLineUpWithLongInterfaceNames() {
        CliRun run = CliRun.of("streams", "examples/captures/lab-sidecar.pcapng");
        assertEquals(0, run.exitCode(), run::toString);
        List<String> lines = run.out().lines().takeWhile(line -> !line.isBlank()).toList();
        int column = lines.get(0).indexOf("packets");
        assertTrue(lines.size() > 8, run.out());
        for (String row : lines.subList(1, lines.size())) {
            assertTrue(row.contains("meshcap-demo-pod/"), row);
            assertTrue(Character.isDigit(row.charAt(column)) && row.charAt(column - 1) == ' ', row);
        }
    }

    @Test
    void aCutCaptureIsListedToItsLastWholePacketWithAWarning() throws Exception {
        byte[] whole = Files.readAllBytes(Path.of("examples/captures/lab-sidecar.pcapng"));
        Path cut = Files.write(dir.resolve("cut.pcapng"), Arrays.copyOf(whole, whole.length - 10));
        CliRun run = CliRun.of("streams", cut.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("meshcap: warning: " + cut + ": offset "), run::toString);
        assertTrue(run.err().contains("the last block is cut short"), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertEquals(CliRun.of("streams", "examples/captures/lab-sidecar.pcapng").out().lines().count(),
                run.out().lines().count(), "the same connections, the cut one with one packet less");
    }

    @Test
    void jsonHasStreamsJoinsAndAmbiguities() throws Exception {
        Path in = ReassociateCommandTest.handshake(dir.resolve("lo.pcap"), 15001);
        CliRun run = CliRun.of("streams", "--json", in.toString());
        assertEquals(0, run.exitCode(), run::toString);
        StreamTable table = new ObjectMapper().readValue(run.out(), StreamTable.class);
        assertEquals(1, table.streams().size());
        assertEquals("outbound-plain", table.streams().get(0).leg());
        assertTrue(table.joins().isEmpty() && table.ambiguous().isEmpty());
    }

    @Test
    void helpExplainsWithExamples() {
        CliRun run = CliRun.of("streams", "--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("--json") && run.out().contains("Examples:") && run.out().contains("istio"),
                run.out());
    }
}
