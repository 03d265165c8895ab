package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.lenient;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.meshcap.capture.LegCapture.LegOutcome;
import io.meshcap.output.OutputTarget;
import io.meshcap.testing.Tshark;
import io.meshcap.tls.KeyLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

/**
 * Faults of a capturer that no real one produces on demand, played by Mockito doubles of {@link LegCapture}: a leg
 * that fails mid-capture, drops reported, a capturer that never stops. Everything else is real: the spool, the
 * merge into a pcapng that tshark reads, the summary on stderr. The packets are a real tcpdump recording.
 */
@ExtendWith(MockitoExtension.class)
class CaptureSessionFaultsTest {

    private static final int FILE_HEADER = 24;
    /** Long enough for every leg to be started and polled; the capture ends on it, never a test on time. */
    private static final Duration SHORT = Duration.ofMillis(600);

    @TempDir
    Path dir;
    @Mock
    CaptureSource source;

    private byte[] recording;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void readRecording() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/k8s/lo-small.pcap")) {
            recording = in.readAllBytes();
        }
        assertEquals(20, Tshark.count(write("recording.pcap", recording)), "the recording holds 20 packets");
        // A target that logs no TLS keys of its own (a mock's default method would answer null).
        lenient().when(source.loggedKeys()).thenReturn(KeyLog.empty());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return java.nio.file.Files.write(dir.resolve(name), bytes);
    }

    private static LegPlan leg(String iface, String preset) {
        return new LegPlan("lab", iface, preset, "tcp", false, CaptureLimits.none(), Map.of());
    }

    /** A capturer double that listens from the start. */
    private static LegCapture listeningCapturer() {
        LegCapture capture = mock(LegCapture.class);
        when(capture.listening()).thenReturn(true);
        return capture;
    }

    /** A capturer that runs until it is stopped, then ends with {@code outcome}. */
    private static LegCapture runsUntilStopped(LegOutcome outcome) throws InterruptedException {
        LegCapture capture = listeningCapturer();
        AtomicBoolean stopped = new AtomicBoolean();
        doAnswer(call -> {
            stopped.set(true);
            return null;
        }).when(capture).stop();
        when(capture.await(any())).thenAnswer(call -> stopped.get() ? outcome : null);
        return capture;
    }

    /** A capturer that has already ended by itself with {@code outcome}. */
    private static LegCapture hasEnded(LegOutcome outcome) throws InterruptedException {
        LegCapture capture = listeningCapturer();
        when(capture.await(any())).thenReturn(outcome);
        return capture;
    }

    /** {@code plan} starts {@code capture}, whose first bytes (a pcap stream) reach the spool at once. */
    private void starts(LegPlan plan, byte[] bytes, LegCapture capture) throws IOException {
        when(source.start(eq(plan), any())).thenAnswer(call -> {
            OutputStream sink = call.getArgument(1);
            sink.write(bytes);
            return capture;
        });
    }

    /** The first {@code packets} packets of the recording, as a pcap stream. */
    private byte[] firstPackets(int packets) {
        int end = FILE_HEADER;
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(recording).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < packets; i++) {
            end += 16 + buffer.getInt(end + 8);
        }
        return Arrays.copyOf(recording, end);
    }

    private CaptureSession.Result run(List<LegPlan> legs, Path output) throws InterruptedException {
        try (StopSignal stop = StopSignal.manual()) {
            return new CaptureSession(source, new PrintWriter(err, true), false)
                    .run(legs, OutputTarget.of(output.toString()), SHORT, false, null, stop, null);
        }
    }

    /** The summary line of one leg, which must exist exactly once. */
    private String summaryOf(String label) {
        List<String> lines = err.toString().lines().filter(l -> l.startsWith("  " + label + ": ")).toList();
        assertEquals(1, lines.size(), err.toString());
        return lines.get(0);
    }

    @Test
    void aLegThatFailsMidCaptureKeepsItsPacketsAndTheOtherLegsGoOn() throws Exception {
        LegPlan eth0 = leg("eth0", "inbound-mtls");
        LegPlan lo = leg("lo", "inbound-plain");
        starts(eth0, firstPackets(10), hasEnded(new LegOutcome(1, -1, "tcpdump: eth0: The interface went down")));
        LegCapture healthy = runsUntilStopped(new LegOutcome(0, 0, ""));
        starts(lo, recording, healthy);
        Path output = dir.resolve("out.pcapng");

        CaptureSession.Result result = run(List.of(eth0, lo), output);

        assertTrue(result.anyLegFailed());
        assertTrue(result.legs().get(0).failed());
        assertFalse(result.legs().get(1).failed());
        verify(healthy).stop();
        assertEquals(Map.of("lab/eth0:inbound-mtls", 10L, "lab/lo:inbound-plain", 20L), perInterface(output));
        assertEquals("  lab/eth0:inbound-mtls: 10 packets, 1.1 KB, drops unknown, FAILED: tcpdump: eth0: The interface "
                + "went down", summaryOf("lab/eth0:inbound-mtls"));
        assertEquals("  lab/lo:inbound-plain: 20 packets, 2.2 KB, 0 dropped", summaryOf("lab/lo:inbound-plain"));
        assertTrue(err.toString().contains("meshcap: wrote " + output + " (30 packets from 2 legs)"), err.toString());
    }

    @Test
    void theSummaryGivesEveryLegsOwnDropCountWhole() throws Exception {
        LegPlan ten = leg("eth0", "inbound-mtls");
        LegPlan none = leg("lo", "inbound-plain");
        LegPlan unknown = leg("lo", "outbound-plain");
        starts(ten, recording, runsUntilStopped(new LegOutcome(0, 10, "")));
        starts(none, recording, runsUntilStopped(new LegOutcome(0, 0, "")));
        starts(unknown, recording, runsUntilStopped(new LegOutcome(0, -1, "")));

        CaptureSession.Result result = run(List.of(ten, none, unknown), dir.resolve("drops.pcapng"));

        assertFalse(result.anyLegFailed());
        // Whole lines: "0 dropped" is a substring of "10 dropped".
        Pattern line = Pattern.compile("  lab/[a-z0-9]+:[a-z-]+: 20 packets, 2\\.2 KB, (.*)");
        for (var expected : Map.of(ten, "10 dropped", none, "0 dropped", unknown, "drops unknown").entrySet()) {
            var matcher = line.matcher(summaryOf(expected.getKey().label()));
            assertTrue(matcher.matches(), summaryOf(expected.getKey().label()));
            assertEquals(expected.getValue(), matcher.group(1));
        }
    }

    @Test
    void aCapturerThatNeverStopsIsReportedKilledAndFailsTheCapture() throws Exception {
        LegPlan stalled = leg("eth0", "inbound-mtls");
        LegCapture never = listeningCapturer();
        when(never.await(any())).thenReturn(null);
        starts(stalled, recording, never);
        Path output = dir.resolve("stalled.pcapng");

        CaptureSession.Result result = run(List.of(stalled), output);

        verify(never).stop();
        assertTrue(result.anyLegFailed());
        assertEquals("  lab/eth0:inbound-mtls: 20 packets, 2.2 KB, drops unknown, FAILED: did not stop within 30 s; "
                + "given up, what it sent until then is kept", summaryOf("lab/eth0:inbound-mtls"));
        assertEquals(20, Tshark.count(output), "what it sent before it stalled is kept");
    }

    /**
     * A capturer that has fallen behind when Ctrl-C comes: it goes on writing its backlog, a packet every few
     * milliseconds, and like tcpdump on SIGTERM it exits without whatever it has not written when it is stopped.
     */
    private final class BehindCapturer implements LegCapture {
        private static final long GAP_MS = 10;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final Thread writer;

        BehindCapturer(OutputStream sink, byte[] backlog, StopSignal ctrlC) {
            writer = new Thread(() -> {
                ctrlC.requestStop();
                java.nio.ByteBuffer records = java.nio.ByteBuffer.wrap(backlog).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                try {
                    for (int at = FILE_HEADER; at < backlog.length && !stopped.get(); ) {
                        int end = at + 16 + records.getInt(at + 8);
                        sink.write(backlog, at, end - at);
                        at = end;
                        Thread.sleep(GAP_MS);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, "behind-capturer");
        }

        @Override
        public void stop() {
            stopped.set(true);
        }

        @Override
        public LegOutcome await(Duration timeout) throws InterruptedException {
            writer.join(timeout.toMillis());
            return writer.isAlive() ? null : new LegOutcome(0, 0, "");
        }
    }

    @Test
    void aCapturerStillWritingWhenCtrlCComesIsStoppedOnlyOnceItsStreamIsQuiet() throws Exception {
        LegPlan lo = leg("lo", "outbound-plain");
        Path output = dir.resolve("behind.pcapng");
        CaptureSession.Result result;
        try (StopSignal ctrlC = StopSignal.manual()) {
            when(source.start(eq(lo), any())).thenAnswer(call -> {
                OutputStream sink = call.getArgument(1);
                sink.write(recording, 0, FILE_HEADER);
                BehindCapturer capturer = new BehindCapturer(sink, recording, ctrlC);
                capturer.writer.start();
                return capturer;
            });
            result = new CaptureSession(source, new PrintWriter(err, true), false)
                    .run(List.of(lo), OutputTarget.of(output.toString()), null, false, null, ctrlC, null);
        }

        assertFalse(result.anyLegFailed());
        assertEquals(20, Tshark.count(output), "the whole backlog is kept: " + err);
    }

    private static Map<String, Long> perInterface(Path file) {
        return Tshark.fields(file, null, "frame.interface_name").stream()
                .collect(java.util.stream.Collectors.groupingBy(row -> row.get(0), java.util.stream.Collectors.counting()));
    }
}
