package io.meshcap.istio;

import java.util.List;

/**
 * A rule that takes every packet some later rules of its chain could match, so those rules never apply: an
 * unconditional RETURN, verdict or redirect placed too early. The model is read as if the later rules were absent.
 *
 * @param line          the rule's line in the dump
 * @param text          the rule as written
 * @param chain         its chain
 * @param shadowedLines the lines of the rules after it that never apply
 */
public record ShadowingRule(int line, String text, String chain, List<Integer> shadowedLines) {

    public ShadowingRule {
        shadowedLines = List.copyOf(shadowedLines);
    }
}
