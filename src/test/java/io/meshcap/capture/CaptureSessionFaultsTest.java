package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.lenient;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.meshcap.capture.LegCapture.LegOutcome;
import io.meshcap.output.OutputTarget;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.RedirectPortsByInterface;
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
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
    /** A capturer that never stops is given up after a second rather than a capture's 30 s. */
    private static final CaptureEngine.Timing STOP_WITHIN_A_SECOND =
            CaptureEngine.Timing.DEFAULT.stoppingWithin(Duration.ofSeconds(1));

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
            return new CaptureSession(source, new PrintWriter(err, true), false).timedBy(STOP_WITHIN_A_SECOND)
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
        LegCapture failing = hasEnded(new LegOutcome(1, -1, "tcpdump: eth0: The interface went down"));
        starts(eth0, firstPackets(10), failing);
        LegCapture healthy = runsUntilStopped(new LegOutcome(0, 0, ""));
        starts(lo, recording, healthy);
        Path output = dir.resolve("out.pcapng");

        CaptureSession.Result result = run(List.of(eth0, lo), output);

        assertTrue(result.anyLegFailed());
        assertTrue(result.legs().get(0).failed());
        assertFalse(result.legs().get(1).failed());
        verify(healthy).stop();
        verify(failing, never()).stop();
        verify(source).close();
        assertEquals(Set.of("recording.pcap", "out.pcapng"), namesIn(dir), "the legs' files are removed");
        assertTrue(err.toString().contains(" listening: lab/lo:inbound-plain on lo, filter tcp\n"), err.toString());
        assertEquals(Map.of("lab/eth0:inbound-mtls", 10L, "lab/lo:inbound-plain", 20L), perInterface(output));
        assertEquals("  lab/eth0:inbound-mtls: 10 packets, 1.1 KB, drops unknown, FAILED: tcpdump: eth0: The interface "
                + "went down", summaryOf("lab/eth0:inbound-mtls"));
        assertEquals("  lab/lo:inbound-plain: 20 packets, 2.2 KB, 0 dropped", summaryOf("lab/lo:inbound-plain"));
        assertTrue(err.toString().contains("meshcap: wrote " + output + " (30 packets from 2 legs)"), err.toString());
    }

    @Test
    void aLegWhoseCapturerNeverWroteIsLeftOutOfTheFileAndKeptLegsAreNamed() throws Exception {
        LegPlan eth0 = leg("eth0", "inbound-mtls");
        LegPlan lo = new LegPlan("lab", "lo", "inbound-plain", "tcp", false, CaptureLimits.none(),
                Map.of("node", "worker-2"));
        starts(eth0, new byte[0], hasEnded(new LegOutcome(1, -1, "tcpdump: eth0: No such device exists")));
        starts(lo, recording, runsUntilStopped(new LegOutcome(0, 0, "")));
        Path output = dir.resolve("kept.pcapng");

        try (StopSignal stop = StopSignal.manual()) {
            new CaptureSession(source, new PrintWriter(err, true), false).timedBy(STOP_WITHIN_A_SECOND)
                    .run(List.of(eth0, lo), OutputTarget.of(output.toString()), SHORT, true, null, stop, null);
        }

        assertEquals(Map.of("lab/lo:inbound-plain", 20L), perInterface(output));
        assertEquals(List.of(List.of("node=worker-2")), Tshark.fields(output, null, "frame.interface_description")
                .stream().distinct().toList());
        java.util.regex.Matcher kept = Pattern.compile("meshcap: the legs' own files are in (.*)").matcher(err.toString());
        assertTrue(kept.find(), err.toString());
        Path legs = Path.of(kept.group(1));
        assertEquals(dir, legs.getParent());
        assertTrue(namesIn(legs).stream().anyMatch(name -> name.startsWith("leg-01-")), namesIn(legs).toString());
    }

    @Test
    void withRedirectPortsTheCaptureSaysWhatReAssociationChanged() throws Exception {
        LegPlan lo = leg("lo", "inbound-plain");
        starts(lo, recording, runsUntilStopped(new LegOutcome(0, 0, "")));
        Path output = dir.resolve("reassociated.pcapng");

        CaptureSession.Result result;
        try (StopSignal stop = StopSignal.manual()) {
            result = new CaptureSession(source, new PrintWriter(err, true), false).timedBy(STOP_WITHIN_A_SECOND)
                    .run(List.of(lo), OutputTarget.of(output.toString()), SHORT, false,
                            RedirectPortsByInterface.everywhere(RedirectPorts.istioDefaults()), stop, null);
        }

        // The recording's calls go to port 18080, none to Istio's 15001 or 15006.
        assertTrue(err.toString().contains("meshcap: re-associated across the REDIRECT: no connection to a REDIRECT"
                + " port was captured, so nothing needed re-associating\n"), err.toString());
        assertEquals("no connection to a REDIRECT port was captured, so nothing needed re-associating",
                result.reassoc().describe());
        assertEquals(20, Tshark.count(output));
    }

    @Test
    @Timeout(120) // a hang guard: without the legs' end nothing would stop this capture
    void aCaptureWhoseLegsHaveAllEndedEndsWithoutCtrlCOrADuration() throws Exception {
        // As legs that reached their --count do: nothing else would end this capture.
        LegPlan lo = leg("lo", "inbound-plain");
        starts(lo, recording, hasEnded(new LegOutcome(0, 0, "")));
        Path output = dir.resolve("counted.pcapng");

        try (StopSignal never = StopSignal.manual()) {
            new CaptureSession(source, new PrintWriter(err, true), false).timedBy(STOP_WITHIN_A_SECOND)
                    .run(List.of(lo), OutputTarget.of(output.toString()), null, false, null, never, null);
        }

        assertEquals(20, Tshark.count(output));
    }

    private static Set<String> namesIn(Path directory) throws IOException {
        try (var files = java.nio.file.Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
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
        assertEquals("  lab/eth0:inbound-mtls: 20 packets, 2.2 KB, drops unknown, FAILED: did not stop within 1 s; "
                + "given up, what it sent until then is kept", summaryOf("lab/eth0:inbound-mtls"));
        assertEquals(20, Tshark.count(output), "what it sent before it stalled is kept");
    }

    /**
     * A capturer that has fallen behind when Ctrl-C comes: it goes on writing its backlog, and like tcpdump on
     * SIGTERM it exits without whatever it has not written when it is stopped. The engine's pauses while it waits for
     * the legs to be quiet are this capturer's clock: it writes one packet of its backlog in each, a capturer slower
     * than the wait than it could ever be on a real machine, however loaded.
     */
    private static final class BehindCapturer implements LegCapture {
        private final OutputStream sink;
        private final byte[] recording;
        private final java.nio.ByteBuffer records;
        private int written;
        private boolean stopped;

        /** Has written the first {@code packets} packets of the recording; the rest are its backlog. */
        BehindCapturer(OutputStream sink, byte[] recording, int packets) throws IOException {
            this.sink = sink;
            this.recording = recording;
            this.records = java.nio.ByteBuffer.wrap(recording).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            this.written = FILE_HEADER;
            sink.write(recording, 0, FILE_HEADER);
            for (int i = 0; i < packets; i++) {
                writeNext();
            }
        }

        /** One more packet of the backlog, if it has not been stopped and has any left. */
        synchronized void writeNext() {
            if (!stopped && written < recording.length) {
                int end = written + 16 + records.getInt(written + 8);
                try {
                    sink.write(recording, written, end - written);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                written = end;
            }
        }

        @Override
        public boolean listening() {
            return true;
        }

        @Override
        public synchronized void stop() {
            stopped = true;
        }

        @Override
        public synchronized LegOutcome await(Duration timeout) {
            return stopped ? new LegOutcome(0, 0, "") : null;
        }
    }

    @Test
    void aCapturerStillWritingWhenCtrlCComesIsStoppedOnlyOnceItsStreamIsQuiet() throws Exception {
        LegPlan lo = leg("lo", "outbound-plain");
        Path output = dir.resolve("behind.pcapng");
        AtomicInteger pauses = new AtomicInteger();

        CaptureSession.Result result = ctrlCWhileBehind(lo, output, 10, pauses);

        assertFalse(result.anyLegFailed());
        assertEquals(20, Tshark.count(output), "the whole backlog is kept: " + err);
        assertEquals(10 + 3, pauses.get(), "one pause per packet of the backlog, then three looks at a quiet stream");
    }

    @Test
    void aCapturerWhoseStreamNeverFallsQuietIsStoppedAfterTwentyLooks() throws Exception {
        LegPlan lo = leg("lo", "outbound-plain");
        AtomicInteger pauses = new AtomicInteger();

        ctrlCWhileBehind(lo, dir.resolve("never-quiet.pcapng"), 0, pauses);

        // 20 looks, 100 ms apart in a capture: a capturer that keeps writing holds up the end for 2 s at most.
        assertEquals(20, pauses.get());
    }

    /** Ctrl-C before a capture starts whose one capturer has written {@code packets}; the rest of the recording is its backlog. */
    private CaptureSession.Result ctrlCWhileBehind(LegPlan lo, Path output, int packets, AtomicInteger pauses)
            throws Exception {
        AtomicReference<BehindCapturer> behind = new AtomicReference<>();
        when(source.start(eq(lo), any())).thenAnswer(call -> {
            behind.set(new BehindCapturer(call.getArgument(1), recording, packets));
            return behind.get();
        });
        try (StopSignal ctrlC = StopSignal.manual()) {
            ctrlC.requestStop();
            return new CaptureSession(source, new PrintWriter(err, true), false)
                    .timedBy(STOP_WITHIN_A_SECOND.pausingBetweenQuietPolls(() -> {
                        pauses.incrementAndGet();
                        behind.get().writeNext();
                    }))
                    .run(List.of(lo), OutputTarget.of(output.toString()), null, false, null, ctrlC, null);
        }
    }

    private static Map<String, Long> perInterface(Path file) {
        return Tshark.fields(file, null, "frame.interface_name").stream()
                .collect(java.util.stream.Collectors.groupingBy(row -> row.get(0), java.util.stream.Collectors.counting()));
    }
}
