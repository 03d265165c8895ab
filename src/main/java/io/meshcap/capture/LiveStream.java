package io.meshcap.capture;

import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.merge.LiveMerger;
import io.meshcap.merge.RecordTransform;
import io.meshcap.output.OutputTarget;
import io.meshcap.reassoc.ReassociationStats;
import io.meshcap.reassoc.RedirectPortsByInterface;
import io.meshcap.reassoc.RedirectReassociator;
import io.meshcap.tls.KeyFeed;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The capture as one pcapng stream while it runs ({@code capture ... -o -}, {@code --live}): a stage beside the
 * spool. Each leg's spool hands it a copy of what it keeps ({@link LegFeed}); a {@link LiveMerger} puts the legs in
 * time order within the reorder window, re-associates them with the same {@link RedirectReassociator} the complete
 * file uses, and writes them with the same pcapng writer, flushed as packets go out.
 *
 * <p>TLS keys logged while the capture runs ({@code --tls-keylog} files, a pod's sidecar with {@code --decrypt}) are
 * read as they come and written ahead of the packets that need them ({@link LiveKeysWriter}), so a viewer decrypts
 * with no settings. What needs the whole capture stays out of the stream: the comment on each connection's first
 * packet naming its leg and its join (the stitcher must see a connection's future for that); it goes into the
 * complete file and the summary.
 *
 * <p>When the reader goes away (the pipe breaks: Wireshark closed), the stream asks the capture to stop; the capture
 * then stops its legs and removes what it set up as after Ctrl-C, and {@link Outcome#readerGone()} says why it ended.
 */
public final class LiveStream implements AutoCloseable {

    /** How far a leg's copy may fall behind the stream before its packets are left out of it (not out of its file). */
    private static final long FEED_LIMIT = 64L << 20;
    private static final Duration READER_WATCH = Duration.ofMillis(200);
    /** How often the key reader looks at its feeds (each is read at its own period) and at held connections. */
    private static final Duration KEY_TICK = Duration.ofMillis(100);
    /** How long the stream's end waits for the capture source to close, which reads a pod's last keys. */
    private static final Duration LAST_KEYS_WAIT = Duration.ofSeconds(90);

    private final OutputTarget target;
    private final Duration window;
    private final RedirectPortsByInterface redirect;
    private final PrintWriter err;
    private final List<LegFeed> feeds = new ArrayList<>();
    private final List<LiveMerger.Input> inputs = new ArrayList<>();
    private final CountDownLatch sourceClosed = new CountDownLatch(1);
    private List<KeyFeed> keyFeeds = List.of();
    private ThreadFactory keyPolling = LiveStream::keyPollingThread;
    private volatile LiveKeysWriter.Outcome keyed;
    private Thread thread;
    private volatile String readerGone;
    /** The stream has its output open (a named pipe's open has found its reader) and has not closed it yet. */
    private volatile boolean holdingOutput;
    private volatile RuntimeException failure;
    private volatile LiveMerger.Outcome merged;
    private volatile ReassociationStats stats;

    private LiveStream(OutputTarget target, Duration window, RedirectPortsByInterface redirect, PrintWriter err) {
        this.target = target;
        this.window = window;
        this.redirect = redirect;
        this.err = err;
    }

    /**
     * A live stream to {@code target}: standard output, or a named pipe or device (whose open waits for a reader),
     * opened once the legs listen.
     *
     * @param window   the reorder window
     * @param redirect the REDIRECT ports to undo, or null to leave packets as captured
     * @param err      where the stream's notes go
     */
    public static LiveStream to(OutputTarget target, Duration window, RedirectPortsByInterface redirect,
            PrintWriter err) {
        return new LiveStream(target, window, redirect, err);
    }

    /**
     * How the stream went.
     *
     * @param packets    packets written to the stream
     * @param late       of those, packets that arrived after later ones had been written (marked in their comment)
     * @param leftOut    packets left out because the reader was slower than the capture (they are in the legs' files)
     * @param reassoc    what re-association changed in the stream, or null when it was off
     * @param readerGone why the stream ended early (its reader went away), or null
     */
    public record Outcome(long packets, long late, long leftOut, ReassociationStats reassoc, String readerGone,
            LiveKeysWriter.Outcome keys) {
    }

    /**
     * Also streams the TLS keys these feeds bring while the capture runs, each ahead of the packets that need it;
     * called before {@link #start}.
     */
    void readingKeys(List<KeyFeed> feeds) {
        this.keyFeeds = List.copyOf(feeds);
    }

    /**
     * Polls the key feeds on a thread of {@code threads} (a test's starts its poll as late as it likes); called before
     * {@link #start}.
     */
    LiveStream pollingKeysOn(ThreadFactory threads) {
        this.keyPolling = threads;
        return this;
    }

    private static Thread keyPollingThread(Runnable poll) {
        Thread thread = new Thread(poll, "meshcap-live-keys");
        thread.setDaemon(true);
        return thread;
    }

    /** The copy of leg {@code index} that its spool writes to; called for every leg, in order, before {@link #start}. */
    OutputStream feed(LegPlan leg) {
        LegFeed feed = new LegFeed(FEED_LIMIT, () -> note("warning: " + leg.label() + ": the stream's reader is slower"
                + " than the capture; packets are left out of the stream (they are kept in the capture)"));
        feeds.add(feed);
        // The legs of one target are captured on one machine: they share its clock.
        inputs.add(new LiveMerger.Input(leg.label(), CaptureSession.describe(leg.metadata()),
                () -> CaptureFormats.open(leg.label(), feed.channel(), CaptureFormats.DEFAULT_READ_BUFFER),
                leg.target(), feed::records));
        return feed;
    }

    /** Starts streaming, once the legs listen; a reader that goes away asks {@code stop} to end the capture. */
    void start(StopSignal stop) {
        thread = new Thread(() -> stream(stop), "meshcap-live");
        thread.setDaemon(true);
        thread.start();
        // The pipe is watched for a reader that goes away while nothing is written (a quiet capture).
        Thread watch = new Thread(() -> watchReader(stop), "meshcap-live-reader");
        watch.setDaemon(true);
        watch.start();
    }

    private void stream(StopSignal stop) {
        try {
            merged = target.write(OutputFormat.PCAPNG, raw -> {
                holdingOutput = true;
                try {
                    return mergeInto(raw);
                } finally {
                    holdingOutput = false;
                }
            });
            merged.failures().forEach(failure -> note("warning: " + failure));
        } catch (MeshcapException e) {
            gone(e.getMessage(), stop);
        } catch (RuntimeException e) {
            failure = e;
            stop.requestStop();
        } finally {
            // Nobody reads the copies any more: the spools may write to them freely.
            feeds.forEach(LegFeed::close);
        }
    }

    private LiveMerger.Outcome mergeInto(CaptureWriter raw) {
        LiveKeysWriter keys = keyFeeds.isEmpty() ? null : new LiveKeysWriter(raw);
        KeyReader reader = keys == null ? null : new KeyReader(keys);
        CaptureWriter writer = keys == null ? raw : keys;
        RedirectReassociator reassociator = redirect == null ? null : new RedirectReassociator(redirect, false, writer);
        RecordTransform transform = reassociator == null ? RecordTransform.NONE : reassociator;
        boolean completed = false;
        try {
            LiveMerger.Outcome outcome = new LiveMerger(window).merge(inputs, writer, transform);
            completed = true;
            return outcome;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("the live stream was interrupted", e);
        } finally {
            if (reassociator != null) {
                reassociator.finish().forEach(writer::write);
                stats = reassociator.stats();
            }
            if (reader != null) {
                // After a failure (the reader went away) nothing more is written: no waiting for keys.
                keyed = reader.finish(completed);
            }
        }
    }

    private void watchReader(StopSignal stop) {
        try {
            while (thread.isAlive() && !stop.awaitStop(READER_WATCH)) {
                // Only while the stream holds the pipe (asked again after the look, which the stream's end may
                // overtake): before, a named pipe's open still waits for its reader; after, the reader leaving is
                // what it should do.
                if (holdingOutput && target.readerGone() && holdingOutput) {
                    gone(target + ": the reading program exited", stop);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void gone(String why, StopSignal stop) {
        if (readerGone == null && !stop.stopRequested()) {
            readerGone = why;
            note("the live stream's reader went away (" + why + "); stopping the capture");
            stop.requestStop();
        }
    }

    private void note(String text) {
        synchronized (err) {
            err.println("meshcap: " + text);
            err.flush();
        }
    }

    /** Every leg has ended: the stream writes what it still holds and ends. */
    void legsEnded() {
        feeds.forEach(LegFeed::close);
    }

    /**
     * Reads the key feeds while the stream runs: once before its first packet, then each at its period on a thread of
     * its own, new keys offered to the writer, and connections that waited too long for theirs released. At the end
     * it waits for the source to close (a pod's sidecar's last keys are read then) and reads every feed once more,
     * then writes what still waits.
     */
    private final class KeyReader {

        private final LiveKeysWriter keys;
        /** When each feed is to be read next ({@link System#nanoTime()}). */
        private final long[] due = new long[keyFeeds.size()];
        private final Thread thread;
        private volatile boolean ended;

        /** Reads every feed at once, on the stream's thread: keys logged before the stream go ahead of its packets. */
        KeyReader(LiveKeysWriter keys) {
            this.keys = keys;
            for (int i = 0; i < due.length; i++) {
                read(i);
            }
            this.thread = keyPolling.newThread(this::run);
            thread.start();
        }

        private void read(int feed) {
            keys.offer(keyFeeds.get(feed).readNew());
            due[feed] = System.nanoTime() + keyFeeds.get(feed).period().toNanos();
        }

        private void run() {
            try {
                while (!ended) {
                    long now = System.nanoTime();
                    for (int i = 0; i < due.length && !ended; i++) {
                        if (now - due[i] >= 0) {
                            read(i);
                        }
                    }
                    keys.releaseExpired();
                    Thread.sleep(KEY_TICK.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // Writing failed (the reader went away): the stream's own thread meets the same failure and says it.
            }
        }

        /** @param lastKeys whether to wait for the source's last keys and write what waits (the stream ended well) */
        LiveKeysWriter.Outcome finish(boolean lastKeys) {
            ended = true;
            try {
                thread.join();
                if (lastKeys && sourceClosed.await(LAST_KEYS_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    keyFeeds.forEach(feed -> keys.offer(feed.readNew()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return lastKeys ? keys.finish() : null;
        }
    }

    /**
     * Waits for the stream to write what it holds and end (every leg must have ended); returns how it went.
     *
     * @throws MeshcapException if the stream failed for another reason than its reader going away
     */
    public Outcome finish() throws InterruptedException {
        legsEnded();
        sourceClosed.countDown();
        if (thread != null) {
            thread.join();
        }
        if (failure != null) {
            throw failure;
        }
        long leftOut = feeds.stream().mapToLong(LegFeed::skipped).sum();
        return new Outcome(merged == null ? 0 : merged.packets(), merged == null ? 0 : merged.late(), leftOut, stats,
                readerGone, keyed);
    }

    /** Ends the stream without waiting for it (the capture failed). */
    @Override
    public void close() {
        legsEnded();
        sourceClosed.countDown();
    }
}
