package io.meshcap.capture;

import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.merge.InputSummary;
import io.meshcap.merge.MergeInput;
import io.meshcap.merge.Merger;
import io.meshcap.merge.RecordTransform;
import io.meshcap.output.LegsDirectory;
import io.meshcap.output.OutputTarget;
import io.meshcap.reassoc.Reassociation;
import io.meshcap.reassoc.ReassociationStats;
import io.meshcap.reassoc.RedirectPortsByInterface;
import io.meshcap.reassoc.StreamTable;
import io.meshcap.text.Sizes;
import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import io.meshcap.tls.KeyLogTail;
import io.meshcap.tls.SecretsWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One capture from plan to file: runs the legs on a source, spools each to a private directory beside the
 * output ({@link LegsDirectory}), merges them into one pcapng with one labelled interface per leg, and reports what
 * happened.
 * Used the same way for every kind of target.
 */
public final class CaptureSession {

    private final CaptureSource source;
    private final PrintWriter err;
    private final boolean terminal;
    private List<Path> tlsKeyLogs = List.of();
    private LiveStream live;
    private CaptureEngine.Timing timing = CaptureEngine.Timing.DEFAULT;

    /**
     * @param err      where progress and the summary go (stderr)
     * @param terminal whether {@code err} is a terminal, for the live status line
     */
    public CaptureSession(CaptureSource source, PrintWriter err, boolean terminal) {
        this.source = source;
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * TLS key logs (NSS format) to put into the merged file, read when the capture ends: whoever writes them (Envoy,
     * the lab's sidecars) adds keys while the capture runs. A key log that is missing by then is reported, not fatal.
     * A live stream reads them as they grow.
     */
    public CaptureSession withTlsKeyLogs(List<Path> files) {
        this.tlsKeyLogs = List.copyOf(files);
        return this;
    }

    /**
     * Also streams the capture while it runs ({@code --live}, or {@code -o -} when {@code output} is standard output);
     * the stream ends with the capture, and a reader that goes away ends the capture.
     */
    public CaptureSession streamingTo(LiveStream stream) {
        this.live = stream;
        return this;
    }

    /** Other waits at the end of the capture than {@link CaptureEngine.Timing#DEFAULT}'s (a test's, shorter). */
    CaptureSession timedBy(CaptureEngine.Timing timing) {
        this.timing = timing;
        return this;
    }

    /**
     * The outcome of a capture.
     *
     * @param output    the merged file (standard output when the capture went to the live stream only)
     * @param legs      every leg as spooled
     * @param inputs    what each leg contributed to the merge
     * @param reassoc   what re-association changed, or null when it was off
     * @param streams   every connection per leg and the joins between legs (empty when re-association was off)
     * @param live      how the live stream went, or null without one
     */
    public record Result(OutputTarget output, List<SpooledLeg> legs, List<InputSummary> inputs, ReassociationStats reassoc,
            StreamTable streams, LiveStream.Outcome live) {

        /** True when any capturer failed; what was captured is in the file all the same. */
        public boolean anyLegFailed() {
            return legs.stream().anyMatch(SpooledLeg::failed);
        }
    }

    /**
     * Captures, merges and cleans up. On Ctrl-C (via {@code stop}) the legs are stopped and what they captured
     * is merged as usual. {@code output} is replaced only by a complete file; when the merge fails, the legs are kept
     * beside it under a visible name, and the failure says where.
     *
     * @param keepLegs  keep the per-leg spool files (their directory is named in the summary)
     * @param redirect  each leg's REDIRECT ports (one set {@link RedirectPortsByInterface#everywhere} for one pod),
     *                  to re-associate the lo legs and join the legs of each call; null leaves packets as captured
     * @param workload  run once every leg listens, ending the capture when done; or null
     */
    public Result run(List<LegPlan> legs, OutputTarget output, Duration duration, boolean keepLegs,
            RedirectPortsByInterface redirect, StopSignal stop, Runnable workload) throws InterruptedException {
        LegsDirectory spool = LegsDirectory.create(output);
        List<SpooledLeg> spooled;
        LiveStream.Outcome streamed = null;
        try (LiveStream stream = live) {
            if (stream != null) {
                stream.readingKeys(keyFeeds());
            }
            spooled = new CaptureEngine(source, spool.path(), new StatusLine(err, terminal), timing)
                    .streamingTo(live).run(legs, duration, stop, workload);
            if (stream != null) {
                streamed = stream.finish();
            }
        } catch (RuntimeException | InterruptedException e) {
            keepWhatWasCaptured(spool);
            throw e;
        }
        KeyLog keys = readKeyLogs().plus(source.loggedKeys());
        if (streamed != null && output.file() == null) {
            return streamedOnly(output, spooled, spool, redirect, keys, streamed, keepLegs);
        }
        Merged merged;
        try {
            merged = output.write(OutputFormat.PCAPNG, raw -> SecretsWriter.adding(raw, keys),
                    writer -> new Merged(merge(spooled, output, writer, redirect, keys), writer));
        } catch (MeshcapException e) {
            throw mergeFailed(e, spooled, spool.keep(), output);
        }
        Path kept = keepLegs ? spool.keep() : null;
        if (kept == null) {
            spool.delete();
        }
        Reassociation.Outcome outcome = merged.outcome();
        if (redirect != null) {
            err.println("meshcap: re-associated across the REDIRECT: " + outcome.stats().describe());
        }
        outcome.streams().plaintextOnMutualTlsLegs().forEach(warning -> err.println("meshcap: warning: " + warning));
        report(spooled, output, kept);
        merged.secrets().notes(output.file()).forEach(err::println);
        outcome.streams().tlsOnPortsWiresharkGivesToOtherProtocols().forEach(note -> err.println("meshcap: note: " + note));
        reportStream(streamed);
        return new Result(output, spooled, outcome.inputs(), redirect == null ? null : outcome.stats(),
                outcome.streams(), streamed);
    }

    /**
     * The end of a capture that went to standard output as it ran ({@code -o -}): the legs are surveyed once more for
     * what the stream could not carry (each connection's leg and the joins between legs, which need a connection's
     * future), and that table is the summary.
     */
    private Result streamedOnly(OutputTarget output, List<SpooledLeg> spooled, LegsDirectory spool,
            RedirectPortsByInterface redirect, KeyLog keys, LiveStream.Outcome streamed, boolean keepLegs) {
        StreamTable streams = new StreamTable(List.of(), List.of(), List.of());
        if (redirect != null) {
            streams = Reassociation.streams(new Merger(spool.path()), mergeInputs(spooled), redirect, keys);
            if (!streams.streams().isEmpty()) {
                err.print(streams.describe());
            }
            if (streamed.reassoc() != null) {
                err.println("meshcap: re-associated across the REDIRECT in the stream: "
                        + streamed.reassoc().describe());
            }
        }
        streams.plaintextOnMutualTlsLegs().forEach(warning -> err.println("meshcap: warning: " + warning));
        streams.tlsOnPortsWiresharkGivesToOtherProtocols().forEach(note -> err.println("meshcap: note: " + note));
        Path kept = keepLegs ? spool.keep() : null;
        if (kept == null) {
            spool.delete();
        }
        reportLegs(spooled);
        if (kept != null) {
            err.println("meshcap: the legs' own files are in " + kept);
        }
        reportStream(streamed);
        return new Result(output, spooled, List.of(), streamed.reassoc(), streams, streamed);
    }

    /** The key logs' files and the source's own key logs, read as they grow for the live stream. */
    private List<KeyFeed> keyFeeds() {
        List<KeyFeed> feeds = new ArrayList<>();
        tlsKeyLogs.forEach(file -> feeds.add(new KeyLogTail(file, warning -> {
            synchronized (err) {
                err.println("meshcap: warning: " + warning);
                err.flush();
            }
        })));
        feeds.addAll(source.keyFeeds());
        return feeds;
    }

    /** What the live stream held. */
    private void reportStream(LiveStream.Outcome streamed) {
        if (streamed != null) {
            err.println("meshcap: streamed " + streamed.packets() + " packets live"
                    + (streamed.late() > 0 ? ", " + streamed.late() + " of them late (marked in their comment)" : "")
                    + (streamed.leftOut() > 0 ? "; " + streamed.leftOut() + " left out: the reader was slower than the"
                            + " capture" : ""));
            if (streamed.keys() != null) {
                reportStreamedKeys(streamed.keys());
            }
        }
        err.flush();
    }

    /** The keys the live stream carried, what that means for whoever gets it, and connections that waited for keys. */
    private void reportStreamedKeys(LiveKeysWriter.Outcome keys) {
        if (keys.keyLines() > 0) {
            err.println("meshcap: the live stream carried " + keys.keyLines() + " TLS key log line"
                    + (keys.keyLines() == 1 ? "" : "s") + ", each before the packets that need it: anyone who has the"
                    + " stream can read the encrypted connections in it");
        }
        if (keys.connectionsHeld() > 0) {
            err.println("meshcap: " + keys.connectionsHeld() + " TLS connection" + (keys.connectionsHeld() == 1 ? ""
                    : "s") + " waited in the stream for their keys (at most " + LiveKeysWriter.HOLD.toSeconds() + " s)"
                    + (keys.releasedWithoutKeys() == 0 ? "" : "; " + keys.releasedWithoutKeys() + " got none in time"
                            + " and went out without them (marked in their comment)"));
        }
    }

    /** What the merge did, and the writer that knows which keys went into the file. */
    private record Merged(Reassociation.Outcome outcome, SecretsWriter secrets) {
    }

    /** After a failure during the capture: keeps the legs if they hold any packet (and says where), else removes them. */
    private void keepWhatWasCaptured(LegsDirectory spool) {
        if (spool.holdsPackets()) {
            err.println("meshcap: the legs captured so far are kept in " + spool.keep());
            err.flush();
        } else {
            spool.delete();
        }
    }

    /**
     * The merge failed (most often a full disk): the legs are all there is, so say where they are and how to merge
     * them later. A leg whose file the disk refused is the first cause, and named first.
     */
    private static MeshcapException mergeFailed(MeshcapException failure, List<SpooledLeg> spooled, Path kept,
            OutputTarget output) {
        String cause = spooled.stream().map(SpooledLeg::refused).filter(Objects::nonNull).findFirst()
                .orElse(failure.getMessage());
        long packets = spooled.stream().mapToLong(SpooledLeg::packets).sum();
        return MeshcapException.failure(cause + "; kept " + packets + " packets in " + kept + " (merge them with: "
                + LegsDirectory.mergeCommand(kept, output.toString()) + ")", failure);
    }

    /** The key logs' keys; a file that is missing or unreadable now is said and left out. */
    private KeyLog readKeyLogs() {
        KeyLog keys = KeyLog.empty();
        for (Path file : tlsKeyLogs) {
            try {
                keys = keys.plus(KeyLog.read(file));
            } catch (MeshcapException e) {
                err.println("meshcap: warning: " + e.getMessage() + "; the capture is written without its keys");
            }
        }
        return keys;
    }

    private static Reassociation.Outcome merge(List<SpooledLeg> spooled, OutputTarget output, CaptureWriter writer,
            RedirectPortsByInterface redirect, KeyLog keys) {
        List<MergeInput> inputs = mergeInputs(spooled);
        Merger merger = new Merger(output.scratchDirectory());
        if (redirect == null) {
            return new Reassociation.Outcome(merger.merge(inputs, writer, RecordTransform.NONE), null,
                    new StreamTable(List.of(), List.of(), List.of()));
        }
        // A capture is bounded, so the second pass that comments each connection's first packet is affordable.
        return Reassociation.merge(merger, inputs, writer, redirect, false, true, keys);
    }

    private static List<MergeInput> mergeInputs(List<SpooledLeg> spooled) {
        return spooled.stream()
                // A leg whose capturer never started wrote nothing, not even a file header.
                .filter(leg -> leg.bytes() > 0)
                .map(leg -> new MergeInput(leg.file(), leg.leg().label(), describe(leg.leg().metadata())))
                .toList();
    }

    /** The leg's metadata as pcapng if_description: {@code key=value; key=value}. */
    static String describe(Map<String, String> metadata) {
        return metadata.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; "));
    }

    private void report(List<SpooledLeg> spooled, OutputTarget output, Path keptLegs) {
        reportLegs(spooled);
        err.println("meshcap: wrote " + output + " (" + spooled.stream().mapToLong(SpooledLeg::packets).sum()
                + " packets from " + spooled.size() + " legs); open it with: wireshark " + output);
        if (keptLegs != null) {
            err.println("meshcap: the legs' own files are in " + keptLegs);
        }
        err.flush();
    }

    private void reportLegs(List<SpooledLeg> spooled) {
        for (SpooledLeg leg : spooled) {
            String drops = leg.outcome().packetsDropped() < 0 ? "drops unknown" : leg.outcome().packetsDropped() + " dropped";
            err.println("  " + leg.leg().label() + ": " + leg.packets() + " packets, " + Sizes.human(leg.bytes()) + ", " + drops
                    + (leg.failed() ? ", FAILED: " + leg.failure() : ""));
        }
    }
}
