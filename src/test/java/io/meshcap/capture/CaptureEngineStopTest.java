package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.meshcap.capture.LegCapture.LegOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the engine ends legs that are slow or unable to stop, and points out a leg that has gone silent. The
 * legs are test doubles: these are faults no real capturer produces on demand (a stop that takes long, a stop
 * that never returns, a stream that stops delivering).
 */
class CaptureEngineStopTest {

    private static final LegOutcome CLEAN = new LegOutcome(0, 0, "");
    private static final Duration GENEROUS = Duration.ofSeconds(60);
    /** A classic pcap file's header: what a capturer writes as it starts, before any packet. */
    private static final int PCAP_HEADER = 24;

    @TempDir
    Path temp;

    private final StringWriter err = new StringWriter();

    private static LegPlan leg(String name) {
        return new LegPlan("pod", name, "inbound-mtls", "tcp", false, CaptureLimits.none(), Map.of());
    }

    private CaptureEngine engine(CaptureSource source, Duration stopDeadline, Duration silence) {
        return new CaptureEngine(source, temp, new StatusLine(new PrintWriter(err, true), false),
                CaptureEngine.Timing.DEFAULT.stoppingWithin(stopDeadline).warningAfterSilenceOf(silence));
    }

    /** A leg whose stop returns only once every leg's stop has begun: stopping one after the other never ends. */
    private static LegCapture stoppingTogether(CountDownLatch allStopping) throws InterruptedException {
        LegCapture capture = mock(LegCapture.class);
        CountDownLatch stopped = new CountDownLatch(1);
        doAnswer(call -> {
            allStopping.countDown();
            if (allStopping.await(GENEROUS.toSeconds(), TimeUnit.SECONDS)) {
                stopped.countDown();
            }
            return null;
        }).when(capture).stop();
        when(capture.await(any())).thenAnswer(call -> stopped.await(((Duration) call.getArgument(0)).toMillis(),
                TimeUnit.MILLISECONDS) ? CLEAN : null);
        return capture;
    }

    @Test
    void legsAreStoppedAllAtOnce() throws Exception {
        List<LegPlan> legs = List.of(leg("eth0"), leg("lo"), leg("eth1"));
        CountDownLatch allStopping = new CountDownLatch(legs.size());
        CaptureSource source = mock(CaptureSource.class);
        List<LegCapture> captures = new ArrayList<>();
        for (LegPlan plan : legs) {
            LegCapture capture = stoppingTogether(allStopping);
            captures.add(capture);
        }
        when(source.start(any(), any())).thenAnswer(call -> captures.get(legs.indexOf(call.getArgument(0))));
        StopSignal stop = StopSignal.manual();
        stop.requestStop();

        List<SpooledLeg> spooled = engine(source, GENEROUS, GENEROUS).run(legs, null, stop, null);

        assertEquals(List.of(CLEAN, CLEAN, CLEAN), spooled.stream().map(SpooledLeg::outcome).toList(), err.toString());
    }

    @Test
    void aLegThatNeverStopsIsGivenUpAtTheDeadlineAndTheOthersAreKept() throws Exception {
        LegCapture stuck = mock(LegCapture.class);
        doAnswer(call -> {
            new CountDownLatch(1).await();
            return null;
        }).when(stuck).stop();
        when(stuck.await(any())).thenAnswer(call -> {
            Thread.sleep(((Duration) call.getArgument(0)).toMillis());
            return null;
        });
        LegCapture fine = mock(LegCapture.class);
        when(fine.await(any())).thenReturn(CLEAN);
        CaptureSource source = mock(CaptureSource.class);
        List<LegPlan> legs = List.of(leg("eth0"), leg("lo"));
        when(source.start(any(), any())).thenAnswer(call -> call.getArgument(0) == legs.get(0) ? stuck : fine);
        StopSignal stop = StopSignal.manual();
        stop.requestStop();

        List<SpooledLeg> spooled = engine(source, Duration.ofSeconds(1), GENEROUS).run(legs, null, stop, null);

        assertEquals(new LegOutcome(1, -1, "did not stop within 1 s; given up, what it sent until then is kept"),
                spooled.get(0).outcome());
        assertEquals(CLEAN, spooled.get(1).outcome());
    }

    /** A leg that has received nothing since it started and runs until it is stopped. */
    private static LegCapture silentLeg() throws InterruptedException {
        LegCapture silent = mock(LegCapture.class);
        when(silent.listening()).thenReturn(true);
        when(silent.await(any())).thenAnswer(call -> call.getArgument(0).equals(Duration.ZERO) ? null : CLEAN);
        return silent;
    }

    /** Asks {@code stop} to stop once stderr says a leg received nothing. */
    private void stopOnceSilenceIsSaid(StopSignal stop) {
        StringWriter seen = err;
        Thread stopper = new Thread(() -> {
            try {
                while (!seen.toString().contains("has received nothing")) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stop.requestStop();
        });
        stopper.setDaemon(true);
        stopper.start();
    }

    @Test
    void aLegThatHasEndedIsNeverCalledSilent() throws Exception {
        LegCapture ended = mock(LegCapture.class);
        when(ended.listening()).thenReturn(true);
        when(ended.await(any())).thenReturn(new LegOutcome(1, -1, "tcpdump: eth0: The interface went down"));
        LegCapture silent = silentLeg();
        CaptureSource source = mock(CaptureSource.class);
        List<LegPlan> legs = List.of(leg("eth0"), leg("lo"));
        when(source.start(any(), any())).thenAnswer(call -> call.getArgument(0) == legs.get(0) ? ended : silent);
        StopSignal stop = StopSignal.manual();
        stopOnceSilenceIsSaid(stop);

        engine(source, GENEROUS, Duration.ofSeconds(1)).run(legs, GENEROUS, stop, null);

        assertTrue(err.toString().contains("meshcap: leg pod/lo:inbound-mtls has received nothing"), err.toString());
        assertFalse(err.toString().contains("leg pod/eth0:inbound-mtls has received nothing"), err.toString());
    }

    /**
     * A leg that wrote its file header, then nothing for longer than the limit, then packets: said silent once it
     * was (not before: no sooner than the limit after its header), and receiving again once it is; its file holds
     * the packets while the capture still runs; on a terminal the status line is redrawn as the capture goes and
     * drawn once more, whole, at its end.
     */
    @Test
    void aLegThatReceivesAgainAfterASilenceIsSaidToBeReceivingAgain() throws Exception {
        byte[] recording;
        try (InputStream in = getClass().getResourceAsStream("/k8s/lo-small.pcap")) {
            recording = in.readAllBytes();
        }
        Path legFile = temp.resolve("leg-00-pod_lo_inbound-mtls.pcap");
        long[] silentFor = {-1};
        boolean[] currentWhileRunning = {false};
        LegCapture silent = silentLeg();
        CaptureSource source = mock(CaptureSource.class);
        StopSignal stop = StopSignal.manual();
        when(source.start(any(), any())).thenAnswer(call -> {
            OutputStream sink = call.getArgument(1);
            sink.write(recording, 0, PCAP_HEADER);
            long headerWritten = System.nanoTime();
            Thread legStream = new Thread(() -> {
                try {
                    awaitSaid("has received nothing");
                    silentFor[0] = System.nanoTime() - headerWritten;
                    sink.write(recording, PCAP_HEADER, recording.length - PCAP_HEADER);
                    awaitSaid("is receiving again");
                    long deadline = System.nanoTime() + GENEROUS.toNanos();
                    while (Files.size(legFile) < recording.length && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    currentWhileRunning[0] = Files.size(legFile) == recording.length;
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    stop.requestStop();
                }
            }, "test-leg-stream");
            legStream.setDaemon(true);
            legStream.start();
            return silent;
        });
        CaptureEngine engine = new CaptureEngine(source, temp, new StatusLine(new PrintWriter(err, true), true),
                CaptureEngine.Timing.DEFAULT.warningAfterSilenceOf(Duration.ofSeconds(1)));

        // No --duration: only the test's stop ends the capture, once the leg's file held its packets or did not.
        engine.run(List.of(leg("lo")), null, stop, null);

        String said = err.toString();
        List<String> notes = said.lines().filter(line -> line.contains("meshcap: leg pod/lo"))
                .map(line -> line.substring(line.indexOf("meshcap: "))).toList();
        assertEquals(List.of("meshcap: leg pod/lo:inbound-mtls has received nothing for 1 s: its stream may be"
                + " stalled (or nothing matches its filter)", "meshcap: leg pod/lo:inbound-mtls is receiving again"),
                notes.subList(0, Math.min(2, notes.size())), said);
        assertTrue(silentFor[0] >= Duration.ofSeconds(1).toNanos(), "said silent after " + silentFor[0] + " ns");
        assertTrue(currentWhileRunning[0], "the leg's file held its packets while the capture ran");
        assertTrue(said.matches("(?s).*\\r\\[00:\\d\\d] pod/lo:inbound-mtls \\d+ pkts .*\\r\\[00:\\d\\d] pod/lo:inbound-mtls"
                + " 20 pkts [^\\n]* drops told at the end\\n"), "redrawn while capturing, and whole at the end: " + said);
        assertFalse(said.contains("in the middle of a packet"), said);
    }

    /** Waits until stderr says {@code text} (bounded by the capture's own hang guard). */
    private void awaitSaid(String text) throws InterruptedException {
        long deadline = System.nanoTime() + GENEROUS.toNanos();
        while (!err.toString().contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void aLegThatReceivesNothingForLongIsPointedOutByName() throws Exception {
        LegCapture silent = silentLeg();
        CaptureSource source = mock(CaptureSource.class);
        when(source.start(any(), any())).thenReturn(silent);
        StopSignal stop = StopSignal.manual();
        stopOnceSilenceIsSaid(stop);

        engine(source, GENEROUS, Duration.ofSeconds(1)).run(List.of(leg("lo")), GENEROUS, stop, null);

        assertTrue(err.toString().contains("meshcap: leg pod/lo:inbound-mtls has received nothing for 1 s: its stream "
                + "may be stalled (or nothing matches its filter)"), err.toString());
        assertFalse(err.toString().contains("receiving again"), err.toString());
    }
}
