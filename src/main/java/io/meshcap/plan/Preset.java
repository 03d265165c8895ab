package io.meshcap.plan;

import java.util.List;
import java.util.function.Predicate;

/**
 * One capture leg as the catalogue describes it: where to capture, what to select, and what it means.
 *
 * @param name               the name on the command line, e.g. {@code outbound-plain}
 * @param role               {@code sidecar} or {@code gateway}
 * @param interfaceName      the interface inside the pod's network namespace
 * @param capturePoint       where that interface's capture point sits relative to netfilter
 * @param template           the BPF expression with placeholders; its parameters are the ones the leg needs
 * @param refinements        narrower expressions for when more values are known, most specific first: the first
 *                           whose parameters are all given is used instead of {@code template} (a gateway's address
 *                           and listener ports narrow its legs)
 * @param summary            one sentence: what this leg is
 * @param capturePointDetail why the leg looks the way it does at this capture point
 * @param shows              what the capture will contain
 * @param doesNotShow        what it will not contain, and where to look instead
 * @param reassociate        whether the leg needs re-association across the REDIRECT to be followable
 */
public record Preset(
        String name,
        String role,
        String interfaceName,
        CapturePoint capturePoint,
        FilterTemplate template,
        List<FilterTemplate> refinements,
        String summary,
        String capturePointDetail,
        String shows,
        String doesNotShow,
        boolean reassociate) {

    public Preset {
        refinements = List.copyOf(refinements);
    }

    /** The expression to render when the values {@code given} says are present: the first refinement that fits. */
    public FilterTemplate templateFor(Predicate<FilterParameter> given) {
        return refinements.stream().filter(t -> t.parameters().stream().allMatch(given)).findFirst().orElse(template);
    }
}
