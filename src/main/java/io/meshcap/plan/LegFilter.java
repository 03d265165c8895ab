package io.meshcap.plan;

/**
 * A preset rendered for one target: the filter libpcap accepted, and the preset that explains it.
 *
 * @param preset     the catalogue entry
 * @param expression the complete BPF expression, extra filter included
 */
public record LegFilter(Preset preset, String expression) {
}
