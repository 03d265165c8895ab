package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.merge.InputSummary;
import io.meshcap.merge.MergeInput;
import io.meshcap.merge.Merger;
import java.util.List;

/**
 * The entry points that run a {@link RedirectReassociator} over a whole stream and write what it holds back at
 * the end: over one file ({@code meshcap reassociate}) or over a merge ({@code meshcap merge --reassociate},
 * and the capture engine, which re-associates by default).
 *
 * <pre>{@code
 * RedirectReassociator reassociator = new RedirectReassociator(RedirectPorts.istioDefaults(), false);
 * List<InputSummary> inputs = Reassociation.merge(new Merger(dir), legs, writer, reassociator);
 * System.err.println(reassociator.stats().describe());
 * }</pre>
 */
public final class Reassociation {

    private Reassociation() {
    }

    /**
     * Merges {@code inputs} into {@code output} with re-association; does not close {@code output}.
     *
     * @return the merge's summary per input
     */
    public static List<InputSummary> merge(Merger merger, List<MergeInput> inputs, CaptureWriter output,
                                           RedirectReassociator reassociator) {
        List<InputSummary> summaries = merger.merge(inputs, output, reassociator);
        reassociator.finish().forEach(output::write);
        return summaries;
    }

    /**
     * Copies every interface and record of {@code input} to {@code output} with re-association; closes neither.
     * Interface ids are kept, so the output's interfaces are the input's.
     */
    public static void copy(CaptureReader input, CaptureWriter output, RedirectReassociator reassociator) {
        int declared = 0;
        for (CaptureRecord record = input.next(); record != null; record = input.next()) {
            List<CaptureInterface> interfaces = input.interfaces();
            for (; declared < interfaces.size(); declared++) {
                output.addInterface(interfaces.get(declared));
            }
            reassociator.apply(interfaces.get(record.interfaceId()), record).forEach(output::write);
        }
        for (CaptureInterface late : input.interfaces().subList(declared, input.interfaces().size())) {
            output.addInterface(late);
        }
        reassociator.finish().forEach(output::write);
    }
}
