package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each command that reads a capture tells the user about an input whose last record is cut short (a capture
 * killed mid-write, a copy stopped early), and about a key log with lines it cannot use: one warning line each, on
 * stderr, and everything before the cut still used.
 */
class CutShortInputTest {

    /**
     * The last record of lo-small.pcap (20 TCP packets on lo) is a 16-byte record header and 72 bytes of packet
     * (tshark: frame 20 is 72 bytes); cutting 7 bytes off the file leaves 81 of its 88 bytes, from offset 2146.
     */
    private static final String CUT = ": offset 2146: the last record is cut short (81 of 88 bytes); the 19 records"
            + " before it were kept";

    @TempDir
    Path dir;

    private Path cut;

    @BeforeEach
    void cutTheLastRecord() throws IOException {
        byte[] whole;
        try (InputStream in = CutShortInputTest.class.getResourceAsStream("/k8s/lo-small.pcap")) {
            whole = in.readAllBytes();
        }
        cut = Files.write(dir.resolve("cut.pcap"), Arrays.copyOf(whole, whole.length - 7));
    }

    @Test
    void mergeWarnsOnceAndKeepsTheRecordsBeforeTheCut() {
        Path out = dir.resolve("merged.pcapng");
        CliRun run = CliRun.of("merge", cut.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of("meshcap: warning: " + cut + CUT), warnings(run), run.toString());
        assertEquals(19, Tshark.count(out));
    }

    @Test
    void reassociateWarnsOnceAndKeepsTheRecordsBeforeTheCut() {
        Path out = dir.resolve("reassociated.pcapng");
        CliRun run = CliRun.of("reassociate", cut.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of("meshcap: warning: " + cut + CUT), warnings(run), run.toString());
        assertEquals(19, Tshark.count(out));
    }

    @Test
    void streamsWarnsOnceAboutTheCutAndOnceForEachKeyLogLineItSkips() throws IOException {
        Path keys = Files.writeString(dir.resolve("keys.txt"), "CLIENT_RANDOM zz 11\ngarbage line\n");
        CliRun run = CliRun.of("streams", cut.toString(), "--tls-keylog", keys.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of(
                "meshcap: warning: " + keys + ": line 1: the client random must be 64 hex digits, found zz; skipped",
                "meshcap: warning: " + keys + ": line 2: expected LABEL CLIENT_RANDOM SECRET, found 2 fields; skipped",
                "meshcap: warning: " + cut + CUT), warnings(run), run.toString());
    }

    private static List<String> warnings(CliRun run) {
        return run.err().lines().filter(line -> line.startsWith("meshcap: warning: ")).toList();
    }
}
