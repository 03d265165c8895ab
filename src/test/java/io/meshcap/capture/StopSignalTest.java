package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Real signals, raised in this JVM: the test first puts its own handler on each signal, so a signal meshcap did not
 * take is caught by the test instead of ending the test run, and the test's handler is what closing must give back.
 * The second signal's halt is played by a list of exit statuses.
 */
@Timeout(60)
class StopSignalTest {

    private static final List<String> SIGNALS = List.of("INT", "TERM", "HUP");

    /** Signals that reached the test's own handlers, by name. */
    private final List<String> reachedTheTest = new CopyOnWriteArrayList<>();
    private final SignalHandler testHandler = signal -> reachedTheTest.add(signal.getName());
    /** The handlers the JVM had before the test, put back after it; a signal ignored from the start is absent. */
    private final Map<Signal, SignalHandler> before = new LinkedHashMap<>();
    private final List<Integer> halts = new CopyOnWriteArrayList<>();
    private final StringWriter said = new StringWriter();
    private final PrintWriter err = new PrintWriter(said, true);

    @BeforeEach
    void takeTheSignals() {
        for (String name : SIGNALS) {
            Signal signal = new Signal(name);
            try {
                SignalHandler previous = Signal.handle(signal, testHandler);
                if (previous == SignalHandler.SIG_IGN) {
                    // SIGINT of a background job, SIGHUP under nohup: the JVM takes it for nobody, meshcap included.
                    Signal.handle(signal, previous);
                } else {
                    before.put(signal, previous);
                }
            } catch (IllegalArgumentException reserved) {
                // Kept by the JVM (-Xrs): nobody can take it either.
            }
        }
    }

    @AfterEach
    void giveThemBack() {
        before.forEach(Signal::handle);
    }

    private boolean takeable(String name) {
        return before.containsKey(new Signal(name));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(10);
        }
    }

    private String saidLines() {
        return said.toString();
    }

    @Test
    void eachTerminatingSignalAsksTheWorkToStopAndSaysWhatStoppingDoes() throws Exception {
        for (String name : SIGNALS) {
            if (!takeable(name)) {
                continue;
            }
            said.getBuffer().setLength(0);
            try (StopSignal stop = StopSignal.onTermination(err, halts::add)) {
                stop.explainWith(() -> "meshcap stops and removes node pod shop/meshcap-node-x", () -> "node pod",
                        () -> "meshcap cleanup");
                Signal.raise(new Signal(name));
                assertTrue(stop.awaitStop(Duration.ofSeconds(30)), "SIG" + name + " asked the work to stop");
                await(() -> saidLines().endsWith("\n"), "the announcement of SIG" + name);
            }
            assertEquals(System.lineSeparator() + "meshcap: SIG" + name + ": stopping: meshcap stops and removes node"
                    + " pod shop/meshcap-node-x; press Ctrl-C again to abandon that (then run: meshcap cleanup)"
                    + System.lineSeparator(), saidLines());
        }
        assertEquals(List.of(), reachedTheTest, "meshcap took every signal it could");
        assertEquals(List.of(), halts, "one signal only stops");
    }

    @Test
    void withNothingToRemoveTheAnnouncementNamesNoCommand() throws Exception {
        try (StopSignal stop = StopSignal.onTermination(err, halts::add)) {
            Signal.raise(new Signal("TERM"));
            assertTrue(stop.awaitStop(Duration.ofSeconds(30)));
            await(() -> saidLines().endsWith("\n"), "the announcement");
        }
        assertEquals(System.lineSeparator() + "meshcap: SIGTERM: stopping: the capture ends and what was captured is"
                + " kept; press Ctrl-C again to abandon that" + System.lineSeparator(), saidLines());
    }

    @Test
    void aSecondSignalAbandonsTheWorkSayingWhatMayBeLeftAndHowToRemoveIt() throws Exception {
        try (StopSignal stop = StopSignal.onTermination(err, halts::add)) {
            stop.explainWith(() -> "meshcap stops", () -> "debug container shop/reviews:meshcap-1",
                    () -> "meshcap cleanup -n shop");
            Signal.raise(new Signal("TERM"));
            await(() -> saidLines().lines().count() == 2, "the first announcement");
            Signal.raise(new Signal("TERM"));
            await(() -> !halts.isEmpty(), "the halt");
        }
        assertEquals(List.of(1), halts, "abandoned work exits as a failure");
        assertEquals("meshcap: SIGTERM again: abandoned; may be left: debug container shop/reviews:meshcap-1; remove"
                + " with: meshcap cleanup -n shop", saidLines().lines().toList().get(2));
    }

    @Test
    void aSecondSignalWithNothingLeftSaysOnlyThatItAbandoned() throws Exception {
        List<String> lines = new ArrayList<>();
        for (String remove : List.of("", "meshcap cleanup")) {
            said.getBuffer().setLength(0);
            halts.clear();
            try (StopSignal stop = StopSignal.onTermination(err, halts::add)) {
                stop.explainWith(() -> "meshcap stops", () -> "", () -> remove);
                Signal.raise(new Signal("TERM"));
                await(() -> saidLines().lines().count() == 2, "the first announcement");
                Signal.raise(new Signal("TERM"));
                await(() -> !halts.isEmpty(), "the halt");
            }
            lines.add(saidLines().lines().toList().get(2));
        }
        assertEquals(List.of("meshcap: SIGTERM again: abandoned", "meshcap: SIGTERM again: abandoned"), lines);
    }

    @Test
    void closingGivesTheSignalsBackToWhoeverHadThem() throws Exception {
        StopSignal stop = StopSignal.onTermination(err, halts::add);
        stop.close();
        stop.close();
        for (String name : SIGNALS) {
            if (takeable(name)) {
                assertSame(testHandler, Signal.handle(new Signal(name), testHandler), "SIG" + name + " given back");
            }
        }
        Signal.raise(new Signal("TERM"));
        await(() -> reachedTheTest.contains("TERM"), "SIGTERM at the test's handler");
        assertFalse(stop.stopRequested(), "a closed stop signal hears nothing");
        assertEquals("", saidLines());
    }

    @Test
    void aManualStopIsAskedOnlyByItsOwnerAndFailsWorkThatChecksIt() throws Exception {
        StopSignal stop = StopSignal.manual();
        assertFalse(stop.awaitStop(Duration.ofMillis(1)));
        stop.checkNotStopped("setting up the capture in pod shop/reviews");
        assertFalse(stop.stopRequested());

        stop.requestStop();
        assertTrue(stop.stopRequested());
        assertTrue(stop.awaitStop(Duration.ofMillis(1)));
        MeshcapException stopped = assertThrows(MeshcapException.class,
                () -> stop.checkNotStopped("setting up the capture in pod shop/reviews"));
        assertEquals("stopped while setting up the capture in pod shop/reviews", stopped.getMessage());
        assertEquals(MeshcapException.Kind.FAILURE, stopped.kind());
    }
}
