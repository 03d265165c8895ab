package io.meshcap.istio;

import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.PortRange;
import java.util.List;

/**
 * Everything {@code meshcap inspect} reports about one namespace or dump; serialised as is for {@code --json}.
 *
 * @param source                   what was read ("file X", "network namespace Y")
 * @param model                    the interception model
 * @param ephemeralPortRange       the range the preset filters use: given, read from the namespace, or the kernel default
 * @param ephemeralPortRangeKnown  false when the range was assumed
 * @param ephemeralPortRangeOrigin where the range came from, in words
 * @param advice                   warnings and notes for captures
 * @param collectionNotes          tools that were missing or failed while collecting
 */
public record Inspection(String source, InterceptionModel model, PortRange ephemeralPortRange,
        boolean ephemeralPortRangeKnown, String ephemeralPortRangeOrigin, List<Advice> advice,
        List<String> collectionNotes) {

    public Inspection {
        advice = List.copyOf(advice);
        collectionNotes = List.copyOf(collectionNotes);
    }

    /** Derives the advice; the range is the one the preset filters are rendered with, so both say the same. */
    public static Inspection of(String source, InterceptionModel model, FilterInputs inputs, String rangeOrigin,
            List<String> collectionNotes, PortGuide guide) {
        return new Inspection(source, model, inputs.ephemeralRange(), !inputs.ephemeralAssumed(), rangeOrigin,
                InterceptionAdvisor.advise(model, guide), collectionNotes);
    }
}
