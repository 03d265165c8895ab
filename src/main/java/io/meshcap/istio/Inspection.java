package io.meshcap.istio;

import io.meshcap.plan.PortRange;
import java.util.List;

/**
 * Everything {@code meshcap inspect} reports about one namespace or dump; serialised as is for {@code --json}.
 *
 * @param source                   what was read ("file X", "network namespace Y")
 * @param model                    the interception model
 * @param ephemeralPortRange       the namespace's ephemeral range, or the kernel default when unknown
 * @param ephemeralPortRangeKnown  false when the range was assumed
 * @param advice                   warnings and notes for captures
 * @param collectionNotes          tools that were missing or failed while collecting
 */
public record Inspection(String source, InterceptionModel model, PortRange ephemeralPortRange,
        boolean ephemeralPortRangeKnown, List<Advice> advice, List<String> collectionNotes) {

    public Inspection {
        advice = List.copyOf(advice);
        collectionNotes = List.copyOf(collectionNotes);
    }

    /** Reads the dump and derives the advice. */
    public static Inspection of(String source, String dump, PortRange range, boolean rangeKnown,
            List<String> collectionNotes, PortGuide guide) {
        InterceptionModel model = RuleDumpReader.read(dump);
        return new Inspection(source, model, range, rangeKnown,
                InterceptionAdvisor.advise(model, range, rangeKnown, guide), collectionNotes);
    }
}
