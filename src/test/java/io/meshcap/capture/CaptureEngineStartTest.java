package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the engine brings legs up: all started first, then waited for together, and a stop is heard meanwhile. */
class CaptureEngineStartTest {

    @TempDir
    Path dir;

    /** A capturer that never says it listens (a pod whose tcpdump is slow to start) and ends when stopped. */
    private static final class NeverListening implements LegCapture {
        private final CountDownLatch stopped = new CountDownLatch(1);

        @Override
        public boolean listening() {
            return false;
        }

        @Override
        public void stop() {
            stopped.countDown();
        }

        @Override
        public LegOutcome await(Duration timeout) throws InterruptedException {
            return stopped.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    ? new LegOutcome(0, 0, "") : null;
        }
    }

    @Test
    void legsThatDoNotListenInTimeFailTheCaptureNamingTheFirstAndAreStopped() throws Exception {
        NeverListening slow = new NeverListening();
        NeverListening slower = new NeverListening();
        List<NeverListening> captures = List.of(slow, slower);
        boolean[] closed = new boolean[1];
        CaptureSource source = new CaptureSource() {
            @Override
            public LegCapture start(LegPlan leg, OutputStream sink) {
                return captures.get(leg.interfaceName().equals("eth0") ? 0 : 1);
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        StringWriter said = new StringWriter();
        CaptureEngine engine = new CaptureEngine(source, dir, new StatusLine(new PrintWriter(said), false),
                CaptureEngine.Timing.DEFAULT.listeningWithin(Duration.ofSeconds(1)));

        MeshcapException failure;
        try (StopSignal stop = StopSignal.manual()) {
            failure = assertThrows(MeshcapException.class, () -> engine.run(List.of(leg("eth0"), leg("lo")), null,
                    stop, null));
        }

        assertEquals("leg pod/eth0:inbound-mtls: the capturer was not listening after 1 s; nothing was captured",
                failure.getMessage());
        assertTrue(closed[0], "the source is closed, which stops what it started");
        assertFalse(said.toString().contains("listening:"), said.toString());
    }

    private static LegPlan leg(String iface) {
        return new LegPlan("pod", iface, "inbound-mtls", "tcp", false, CaptureLimits.none(), Map.of());
    }

    @Test
    void ctrlCWhileLegsAreStartingStopsThemInsteadOfWaitingOnForThem() throws Exception {
        NeverListening capture = new NeverListening();
        CaptureSource source = new CaptureSource() {
            @Override
            public LegCapture start(LegPlan leg, OutputStream sink) {
                return capture;
            }

            @Override
            public void close() {
            }
        };
        LegPlan leg = new LegPlan("pod", "eth0", "inbound-mtls", "tcp", false, CaptureLimits.none(), Map.of());
        StringWriter said = new StringWriter();
        StopSignal stop = StopSignal.manual();
        Thread ctrlC = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            stop.requestStop();
        });
        ctrlC.start();

        // Without the stop being heard, this fails once the start timeout has passed ("was not listening").
        List<SpooledLeg> legs = new CaptureEngine(source, dir, new StatusLine(new PrintWriter(said), false))
                .run(List.of(leg), null, stop, null);

        assertEquals(1, legs.size());
        assertEquals(0, capture.stopped.getCount(), "the starting leg was stopped");
        assertFalse(said.toString().contains("listening:"), said.toString());
    }
}
