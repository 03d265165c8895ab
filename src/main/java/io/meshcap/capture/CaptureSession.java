package io.meshcap.capture;

import io.meshcap.MeshcapException;
import io.meshcap.Version;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.merge.InputSummary;
import io.meshcap.merge.MergeInput;
import io.meshcap.merge.Merger;
import io.meshcap.merge.RecordTransform;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One capture from plan to file: runs the legs on a source, spools each to a private directory beside the
 * output, merges them into one pcapng with one labelled interface per leg, and reports what happened.
 * Used the same way for every kind of target.
 */
public final class CaptureSession {

    private final CaptureSource source;
    private final PrintWriter err;
    private final boolean terminal;

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
     * The outcome of a capture.
     *
     * @param output the merged file
     * @param legs   every leg as spooled
     * @param inputs what each leg contributed to the merge
     */
    public record Result(Path output, List<SpooledLeg> legs, List<InputSummary> inputs) {

        /** True when any capturer failed; what was captured is in the file all the same. */
        public boolean anyLegFailed() {
            return legs.stream().anyMatch(SpooledLeg::failed);
        }
    }

    /**
     * Captures, merges and cleans up. On Ctrl-C (via {@code stop}) the legs are stopped and what they captured
     * is merged as usual.
     *
     * @param keepLegs  keep the per-leg spool files (their directory is named in the summary)
     * @param transform applied to the merged stream (re-association)
     * @param workload  run once every leg listens, ending the capture when done; or null
     */
    public Result run(List<LegPlan> legs, Path output, Duration duration, boolean keepLegs, RecordTransform transform,
            StopSignal stop, Runnable workload) throws InterruptedException {
        Path spool = createSpoolDirectory(output);
        try {
            List<SpooledLeg> spooled = new CaptureEngine(source, spool, new StatusLine(err, terminal))
                    .run(legs, duration, stop, workload);
            List<InputSummary> inputs = merge(spooled, output, transform);
            report(spooled, output, keepLegs ? spool : null);
            return new Result(output, spooled, inputs);
        } finally {
            if (!keepLegs) {
                deleteRecursively(spool);
            }
        }
    }

    private static Path createSpoolDirectory(Path output) {
        Path parent = output.toAbsolutePath().getParent();
        try {
            return Files.createTempDirectory(parent, ".meshcap-legs-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw MeshcapException.failure("cannot create a spool directory in " + parent + ": " + e.getMessage()
                    + "; choose an output (-o) in a writable directory", e);
        }
    }

    private List<InputSummary> merge(List<SpooledLeg> spooled, Path output, RecordTransform transform) {
        List<MergeInput> inputs = spooled.stream()
                // A leg whose capturer never started wrote nothing, not even a file header.
                .filter(leg -> leg.bytes() > 0)
                .map(leg -> new MergeInput(leg.file(), leg.leg().label(), describe(leg.leg().metadata())))
                .toList();
        try (CaptureWriter writer = CaptureFormats.create(output, OutputFormat.PCAPNG, Version.userApplication())) {
            return new Merger(output.toAbsolutePath().getParent()).merge(inputs, writer, transform);
        }
    }

    /** The leg's metadata as pcapng if_description: {@code key=value; key=value}. */
    static String describe(Map<String, String> metadata) {
        return metadata.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; "));
    }

    private void report(List<SpooledLeg> spooled, Path output, Path keptLegs) {
        for (SpooledLeg leg : spooled) {
            String drops = leg.outcome().packetsDropped() < 0 ? "drops unknown" : leg.outcome().packetsDropped() + " dropped";
            err.println("  " + leg.leg().label() + ": " + leg.packets() + " packets, " + Sizes.human(leg.bytes()) + ", " + drops
                    + (leg.failed() ? ", FAILED: " + leg.outcome().message() : ""));
        }
        err.println("meshcap: wrote " + output + " (" + spooled.stream().mapToLong(SpooledLeg::packets).sum()
                + " packets from " + spooled.size() + " legs); open it with: wireshark " + output);
        if (keptLegs != null) {
            err.println("meshcap: the legs' own files are in " + keptLegs);
        }
        err.flush();
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw MeshcapException.failure("cannot remove the spool directory " + directory + ": " + e.getMessage(), e);
        }
    }
}
