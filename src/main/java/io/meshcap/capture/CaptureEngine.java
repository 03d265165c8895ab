package io.meshcap.capture;

import io.meshcap.MeshcapException;
import io.meshcap.output.IoErrors;
import io.meshcap.spool.PcapSpool;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a plan's legs on one capture source: each leg spools to its own file as packets arrive, until the
 * duration passes, every leg has ended (packet count, size limit, failure), the disk refuses a leg's write (a full
 * disk fails every leg alike), or a stop is requested.
 * Every leg is then stopped and flushed; the spooled files are valid whatever ended the run.
 */
public final class CaptureEngine {

    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration LISTEN_POLL = Duration.ofMillis(10);
    private static final Duration QUIET_POLL = Duration.ofMillis(100);
    private static final int QUIET_POLLS = 3;
    private static final int QUIET_MAX_POLLS = 20;

    /**
     * The waits at the end of a capture.
     *
     * @param stopDeadline   how long stopping may take, for all legs together (they are stopped at once)
     * @param silenceWarning a leg that has received nothing for this long is pointed out: its stream may be stalled
     * @param quietPoll      the pause between two looks at the legs' spools while waiting for them to be quiet
     * @param listenTimeout  how long the legs may take to listen, all together, before the capture fails
     */
    record Timing(Duration stopDeadline, Duration silenceWarning, Pause quietPoll, Duration listenTimeout) {

        /**
         * What a capture uses: a stop waits for a pod's second exec and tcpdump's flush, 30 s for all legs; a start
         * as long.
         */
        static final Timing DEFAULT = new Timing(Duration.ofSeconds(30), Duration.ofSeconds(60),
                () -> Thread.sleep(QUIET_POLL.toMillis()), Duration.ofSeconds(30));

        Timing stoppingWithin(Duration deadline) {
            return new Timing(deadline, silenceWarning, quietPoll, listenTimeout);
        }

        Timing warningAfterSilenceOf(Duration silence) {
            return new Timing(stopDeadline, silence, quietPoll, listenTimeout);
        }

        Timing pausingBetweenQuietPolls(Pause pause) {
            return new Timing(stopDeadline, silenceWarning, pause, listenTimeout);
        }

        Timing listeningWithin(Duration timeout) {
            return new Timing(stopDeadline, silenceWarning, quietPoll, timeout);
        }
    }

    /** A wait of the engine's, which a test can replace by a condition of its own. */
    @FunctionalInterface
    interface Pause {
        void pause() throws InterruptedException;
    }

    private final CaptureSource source;
    private final Path spoolDirectory;
    private final StatusLine status;
    private final Timing timing;
    private LiveStream live;

    public CaptureEngine(CaptureSource source, Path spoolDirectory, StatusLine status) {
        this(source, spoolDirectory, status, Timing.DEFAULT);
    }

    CaptureEngine(CaptureSource source, Path spoolDirectory, StatusLine status, Timing timing) {
        this.source = source;
        this.spoolDirectory = spoolDirectory;
        this.status = status;
        this.timing = timing;
    }

    /**
     * Also streams the legs live: every spool hands {@code stream} a copy of what it keeps, the stream starts once
     * every leg listens, and it is told when the legs have ended.
     */
    public CaptureEngine streamingTo(LiveStream stream) {
        this.live = stream;
        return this;
    }

    /**
     * Captures every leg at once and returns them spooled, in plan order.
     *
     * @param workload run on its own thread once every leg is listening; when it ends the capture stops too.
     *                 Null to capture until the duration, the limits or a stop request end it. What it throws
     *                 is rethrown once the legs are flushed.
     */
    public List<SpooledLeg> run(List<LegPlan> legs, Duration duration, StopSignal stop, Runnable workload)
            throws InterruptedException {
        List<RunningLeg> running = new ArrayList<>();
        Workload work = null;
        try {
            for (LegPlan leg : legs) {
                running.add(start(leg, running.size()));
            }
            awaitListening(running, stop);
            if (live != null) {
                live.start(stop);
            }
            status.start(running.stream().map(r -> new StatusLine.Counter(r.plan.label(), r.spool, r.capture)).toList(),
                    duration);
            if (workload != null) {
                work = new Workload(workload, stop);
            }
            Instant deadline = duration == null ? Instant.MAX : Instant.now().plus(duration);
            while (!stop.awaitStop(POLL) && Instant.now().isBefore(deadline) && !allEnded(running)
                    && !anyRefused(running)) {
                flushAll(running);
                watchSilence(running);
                status.refresh();
            }
            awaitQuiet(running);
            List<SpooledLeg> spooled = finishAll(running);
            if (work != null) {
                work.rethrow();
            }
            return spooled;
        } finally {
            if (live != null) {
                // The legs have ended: the stream can write its last packets while the source cleans up.
                live.legsEnded();
            }
            status.finish();
            source.close();
            for (RunningLeg leg : running) {
                leg.closeQuietly();
            }
        }
    }

    private RunningLeg start(LegPlan leg, int index) {
        Path file = spoolDirectory.resolve(String.format("leg-%02d-%s.pcap", index, leg.label().replaceAll("[^A-Za-z0-9._-]", "_")));
        AtomicReference<LegCapture> capture = new AtomicReference<>();
        try {
            PcapSpool spool = new PcapSpool(file, leg.limits().maxBytes(), leg.limits().ringFiles(), () -> {
                LegCapture started = capture.get();
                if (started != null) {
                    started.stop();
                }
            });
            if (live != null) {
                spool.copyTo(live.feed(leg));
            }
            capture.set(source.start(leg, spool));
            return new RunningLeg(leg, spool, capture.get());
        } catch (IOException e) {
            throw MeshcapException.failure("leg " + leg.label() + ": cannot start: " + e.getMessage(), e);
        }
    }

    /**
     * Waits until every leg listens, saying when each one started; the legs were all started first, so they come
     * up together rather than one after another. Fails if a capturer ends or stays silent instead; returns early
     * on a stop request (Ctrl-C), which then stops the legs as usual.
     */
    private void awaitListening(List<RunningLeg> running, StopSignal stop) throws InterruptedException {
        List<RunningLeg> starting = new ArrayList<>(running);
        Instant deadline = Instant.now().plus(timing.listenTimeout());
        while (true) {
            for (Iterator<RunningLeg> legs = starting.iterator(); legs.hasNext(); ) {
                RunningLeg leg = legs.next();
                if (leg.capture.listening()) {
                    status.listening(leg.plan, Instant.now());
                    legs.remove();
                }
            }
            if (starting.isEmpty()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw MeshcapException.failure("leg " + starting.get(0).plan.label() + ": the capturer was not listening"
                        + " after " + timing.listenTimeout().toSeconds() + " s; nothing was captured");
            }
            if (stop.awaitStop(LISTEN_POLL)) {
                return;
            }
        }
    }

    /**
     * Waits until no leg's spool has grown for a moment: a capturer stopped by a signal exits without the
     * packets it has not read yet, so stopping only when the stream is quiet keeps the last packets.
     */
    private void awaitQuiet(List<RunningLeg> running) throws InterruptedException {
        long total = -1;
        int quietPolls = 0;
        for (int polls = 0; polls < QUIET_MAX_POLLS && quietPolls < QUIET_POLLS; polls++) {
            timing.quietPoll().pause();
            long now = running.stream().mapToLong(leg -> leg.spool.bytes()).sum();
            quietPolls = now == total ? quietPolls + 1 : 0;
            total = now;
        }
    }

    /** Says when a leg still running has received nothing for a while, and when it receives again. */
    private void watchSilence(List<RunningLeg> running) {
        Instant now = Instant.now();
        for (RunningLeg leg : running) {
            if (leg.outcome != null) {
                continue;
            }
            long bytes = leg.spool.bytes();
            if (bytes != leg.bytesSeen) {
                leg.bytesSeen = bytes;
                leg.lastGrowth = now;
                if (leg.silenceReported) {
                    leg.silenceReported = false;
                    status.receivingAgain(leg.plan.label());
                }
            } else if (!leg.silenceReported && Duration.between(leg.lastGrowth, now).compareTo(timing.silenceWarning()) >= 0) {
                leg.silenceReported = true;
                status.silent(leg.plan.label(), timing.silenceWarning());
            }
        }
    }

    /**
     * Stops every leg that has not ended yet, all at once, and waits for them under one deadline: a leg that
     * cannot be stopped in time is given up (what it spooled is kept) rather than holding up the others.
     */
    private List<SpooledLeg> finishAll(List<RunningLeg> running) throws InterruptedException {
        List<RunningLeg> unfinished = running.stream().filter(leg -> leg.outcome == null).toList();
        List<LegCapture.LegOutcome> outcomes = LegStops.stopAll(unfinished.stream().map(leg -> leg.capture).toList(),
                timing.stopDeadline());
        for (int i = 0; i < unfinished.size(); i++) {
            unfinished.get(i).outcome = outcomes.get(i) != null ? outcomes.get(i) : new LegCapture.LegOutcome(1, -1,
                    "did not stop within " + timing.stopDeadline().toSeconds() + " s; given up, what it sent until then is kept");
        }
        List<SpooledLeg> spooled = new ArrayList<>();
        for (RunningLeg leg : running) {
            int partial = leg.spool.partialTail();
            if (partial > 0) {
                status.endedMidPacket(leg.plan.label(), partial);
            }
            spooled.add(leg.finish());
        }
        return spooled;
    }

    /** Puts what each leg has spooled into its file, so the files are current while the capture runs. */
    private static void flushAll(List<RunningLeg> running) {
        for (RunningLeg leg : running) {
            leg.spool.flush();
        }
    }

    private static boolean anyRefused(List<RunningLeg> running) {
        return running.stream().anyMatch(leg -> leg.spool.writeFailure().isPresent());
    }

    private static boolean allEnded(List<RunningLeg> running) throws InterruptedException {
        for (RunningLeg leg : running) {
            if (!leg.ended()) {
                return false;
            }
        }
        return true;
    }

    /** Work that runs while the legs capture, and ends the capture when it is done. */
    private static final class Workload {

        private final Thread thread;
        private volatile RuntimeException failure;

        Workload(Runnable work, StopSignal stop) {
            thread = new Thread(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    failure = e;
                } finally {
                    stop.requestStop();
                }
            }, "meshcap-workload");
            thread.setDaemon(true);
            thread.start();
        }

        void rethrow() throws InterruptedException {
            thread.join();
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static final class RunningLeg {

        private final LegPlan plan;
        private final PcapSpool spool;
        private final LegCapture capture;
        private LegCapture.LegOutcome outcome;
        private long bytesSeen = -1;
        private Instant lastGrowth = Instant.now();
        private boolean silenceReported;

        RunningLeg(LegPlan plan, PcapSpool spool, LegCapture capture) {
            this.plan = plan;
            this.spool = spool;
            this.capture = capture;
        }

        boolean ended() throws InterruptedException {
            if (outcome == null) {
                outcome = capture.await(Duration.ZERO);
            }
            return outcome != null;
        }

        SpooledLeg finish() {
            try {
                spool.close();
            } catch (IOException e) {
                throw MeshcapException.failure(refusal(e), e);
            }
            String refused = spool.writeFailure().map(this::refusal).orElse(null);
            return new SpooledLeg(plan, spool.file(), spool.keptPackets(), spool.bytes(), outcome, refused);
        }

        /** Why the leg's file could not be written, in the user's terms. */
        private String refusal(IOException e) {
            return (IoErrors.diskFull(e) ? "no space left on device" : "cannot write: " + IoErrors.reason(e))
                    + " while writing leg " + plan.label();
        }

        /** Closes the spool after a failure elsewhere, which is the one to report. */
        void closeQuietly() {
            try {
                spool.close();
            } catch (IOException ignored) {
                // The failure that ended the capture is already on its way to the user.
            }
        }
    }
}
