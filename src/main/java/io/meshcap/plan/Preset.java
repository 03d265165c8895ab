package io.meshcap.plan;

/**
 * One capture leg as the catalogue describes it: where to capture, what to select, and what it means.
 *
 * @param name               the name on the command line, e.g. {@code outbound-plain}
 * @param role               {@code sidecar} or {@code gateway}
 * @param interfaceName      the interface inside the pod's network namespace
 * @param capturePoint       where that interface's capture point sits relative to netfilter
 * @param template           the BPF expression with placeholders
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
        String summary,
        String capturePointDetail,
        String shows,
        String doesNotShow,
        boolean reassociate) {
}
