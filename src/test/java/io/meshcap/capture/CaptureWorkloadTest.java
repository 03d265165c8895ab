package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.output.OutputTarget;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture that runs work of its own while its legs listen (the lab's and the demo's calls): the work's end ends
 * the capture, and what the work throws is what the capture throws, once the legs are stopped and kept. Legs replay
 * a real tcpdump recording until they are stopped; tshark counts what the files hold.
 */
@Timeout(120)
class CaptureWorkloadTest {

    private static final Pattern KEPT = Pattern.compile("meshcap: the legs captured so far are kept in (\\S+)\n");

    @TempDir
    Path dir;

    private byte[] recording;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void readRecording() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/k8s/lo-small.pcap")) {
            recording = in.readAllBytes();
        }
    }

    private CaptureSession.Result capture(Path output, Runnable workload) throws InterruptedException {
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording).runningUntilStopped(),
                new PrintWriter(err, true), false);
        try (StopSignal stop = StopSignal.manual()) {
            return session.run(List.of(new LegPlan("shop/reviews-v1", "lo", "inbound-plain", "tcp", false,
                    CaptureLimits.none(), Map.of())), OutputTarget.of(output.toString()), null, false, null, stop,
                    workload);
        }
    }

    @Test
    void workThatIsDoneEndsACaptureNothingElseWouldEnd() throws Exception {
        Path output = dir.resolve("out.pcapng");

        // No duration, no Ctrl-C, legs that run until they are stopped: only the work's end stops them.
        CaptureSession.Result result = capture(output, () -> { });

        assertEquals(20, Tshark.count(output));
        assertEquals(20, result.legs().get(0).packets());
    }

    @Test
    void workThatFailsEndsTheCaptureWithItsFailureAndTheLegsAreKept() throws Exception {
        Path output = dir.resolve("out.pcapng");

        MeshcapException thrown = assertThrows(MeshcapException.class, () -> capture(output, () -> {
            throw MeshcapException.failure("the lab's calls failed: connection refused");
        }));

        assertEquals("the lab's calls failed: connection refused", thrown.getMessage());
        assertTrue(Files.notExists(output), "no file is written for a capture that failed");
        Matcher kept = KEPT.matcher(err.toString());
        assertTrue(kept.find(), err.toString());
        try (var legs = Files.list(Path.of(kept.group(1)))) {
            List<Path> files = legs.filter(file -> file.toString().endsWith(".pcap")).toList();
            assertEquals(1, files.size(), files.toString());
            assertEquals(20, Tshark.count(files.get(0)), "the leg, stopped and flushed before the failure was thrown");
        }
    }
}
