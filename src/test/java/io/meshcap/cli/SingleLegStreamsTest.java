package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Recording;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture of one eth0 leg alone has no lo leg to learn the pod's address from: {@code streams} labels its
 * connections from what the capture says about the interface (the pod's addresses meshcap writes into the
 * description, else the preset in its name), and says when an "mTLS" leg carries plaintext, as the lab's stand-in
 * sidecar's does when it is called by a client without a sidecar (it is PERMISSIVE, as Istio's default).
 */
class SingleLegStreamsTest {

    private static final int CALLS = 3;

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    @TempDir
    Path dir;

    @Test
    void aLoneInboundMtlsCaptureIsLabelledAndItsPlaintextSaid() throws Exception {
        Path out = dir.resolve("inbound.pcapng");
        StringWriter err = new StringWriter();
        CliRun[] result = new CliRun[1];
        Thread capture = new Thread(() -> result[0] = CliRun.of(err, "capture", "inbound-mtls", "--netns",
                LAB.topology().podNamespace(), "--duration", "5s", "-o", out.toString()));
        capture.start();
        for (int i = 0; i < 400 && !err.toString().contains("meshcap: capturing"); i++) {
            Thread.sleep(50);
        }
        assertTrue(err.toString().contains("meshcap: capturing"), "capture did not start: " + err);
        LAB.lab().traffic(CALLS, 0, true);
        capture.join(TimeUnit.SECONDS.toMillis(60));
        CliRun run = result[0];
        assertEquals(0, run.exitCode(), run::toString);
        String leg = LAB.topology().podNamespace() + "/eth0:inbound-mtls";
        assertTrue(run.err().contains("meshcap: warning: " + leg + ": " + CALLS + " of " + CALLS
                + " connections carry plaintext, not TLS"), "the summary says so: " + run.err());

        JsonNode streams = streamsJson(out);
        assertEquals(CALLS, streams.size(), streams::toString);
        for (JsonNode stream : streams) {
            assertEquals("inbound-mtls", stream.get("leg").asText(), stream::toString);
            assertTrue(stream.get("plaintext").asBoolean(), stream::toString);
        }
        CliRun table = CliRun.of("streams", out.toString());
        assertTrue(table.out().contains("plaintext on mTLS legs (1):"), table.out());
        List<String> rows = table.out().lines().filter(line -> line.matches("\\d+ .*")).toList();
        assertEquals(CALLS, rows.size(), table.out());
        rows.forEach(row -> assertTrue(row.contains(" inbound-mtls ") && row.endsWith(" plaintext"), row));
    }

    @Test
    void aPlainRecordingIsLabelledByTheLegInItsName() throws Exception {
        Path eth0;
        try (Recording recording = LAB.record(LAB.topology().podNamespace(), LabTopology.POD_INTERFACE,
                dir.resolve("eth0.pcap"))) {
            LAB.traffic(CALLS, 0);
            recording.stop();
            eth0 = recording.file();
        }
        Path named = dir.resolve("named.pcapng");
        CliRun merge = CliRun.of("merge", "--name", "reviews/eth0:inbound-mtls=" + eth0, eth0.toString(), "-o",
                named.toString());
        assertEquals(0, merge.exitCode(), merge::toString);
        JsonNode streams = streamsJson(named);
        assertEquals(CALLS, streams.size(), streams::toString);
        streams.forEach(stream -> assertEquals("inbound-mtls", stream.get("leg").asText(), stream::toString));
        JsonNode unnamed = streamsJson(eth0);
        unnamed.forEach(stream -> assertEquals("other", stream.get("leg").asText(), "nothing says which leg: " + stream));
    }

    private static JsonNode streamsJson(Path file) throws Exception {
        CliRun run = CliRun.of("streams", "--json", file.toString());
        assertEquals(0, run.exitCode(), run::toString);
        return new ObjectMapper().readTree(run.out()).get("streams");
    }

}
