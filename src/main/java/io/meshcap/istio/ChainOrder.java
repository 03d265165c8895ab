package io.meshcap.istio;

import io.meshcap.istio.NetfilterRule.Key;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds rules that can never apply because an earlier rule of their chain takes every packet they could match:
 * netfilter walks a chain in order, so what comes after an unconditional RETURN, verdict or redirect is dead.
 * Only a rule with no match but its protocol counts as unconditional; a rule that matches anything else may let
 * packets past, and telling which would take a full evaluator.
 */
final class ChainOrder {

    /** Verdicts that end the walk of the chain they are in. */
    private static final Set<String> ENDS_CHAIN = Set.of("RETURN", "ACCEPT", "DROP", "REJECT", "REDIRECT", "TPROXY", "DNAT");
    /** A rule without a protocol match takes packets of every protocol. */
    private static final String EVERY_PROTOCOL = "*";

    private record ChainKey(int tableLine, String chain) {
    }

    private final Map<ChainKey, List<NetfilterRule>> chains = new LinkedHashMap<>();

    private ChainOrder(List<NetfilterRule> rules) {
        rules.forEach(rule -> chains.computeIfAbsent(new ChainKey(rule.tableLine(), rule.chain()), key -> new ArrayList<>())
                .add(rule));
    }

    /** Every rule that takes all the packets some later rules of its chain could match, with those rules. */
    static List<ShadowingRule> shadowing(List<NetfilterRule> rules) {
        ChainOrder order = new ChainOrder(rules);
        List<ShadowingRule> found = new ArrayList<>();
        order.chains.forEach((key, chain) -> {
            Set<NetfilterRule> dead = new HashSet<>();
            for (int i = 0; i < chain.size(); i++) {
                NetfilterRule rule = chain.get(i);
                String takes = dead.contains(rule) ? null : order.takes(rule, new HashSet<>());
                if (takes == null) {
                    continue;
                }
                List<Integer> lines = new ArrayList<>();
                for (NetfilterRule later : chain.subList(i + 1, chain.size())) {
                    if (!dead.contains(later) && covers(takes, later.positive(Key.PROTOCOL))) {
                        dead.add(later);
                        lines.add(later.line());
                    }
                }
                if (!lines.isEmpty()) {
                    found.add(new ShadowingRule(rule.line(), rule.text(), key.chain(), lines));
                }
            }
        });
        return found;
    }

    /**
     * The protocol of every packet {@code rule} keeps from the rest of its chain ({@link #EVERY_PROTOCOL} for all),
     * or null when some packets go on past it. A jump keeps packets only when the chain it calls never returns them.
     */
    private String takes(NetfilterRule rule, Set<ChainKey> visiting) {
        String protocol = rule.positive(Key.PROTOCOL);
        if (!rule.onlyHas(Key.PROTOCOL) || (protocol == null && rule.has(Key.PROTOCOL))) {
            return null;
        }
        String own = protocol != null ? protocol : EVERY_PROTOCOL;
        if (ENDS_CHAIN.contains(rule.target())) {
            return own;
        }
        ChainKey called = new ChainKey(rule.tableLine(), rule.target());
        String kept = visiting.add(called) ? keptBy(called, visiting) : null;
        return kept == null ? null : narrower(own, kept);
    }

    /** The protocol a called chain never returns to its caller: its first unconditional rule decides. */
    private String keptBy(ChainKey called, Set<ChainKey> visiting) {
        for (NetfilterRule rule : chains.getOrDefault(called, List.of())) {
            String takes = takes(rule, visiting);
            if (takes != null) {
                return rule.target().equals("RETURN") ? null : takes;
            }
        }
        return null;
    }

    private static String narrower(String a, String b) {
        if (a.equals(EVERY_PROTOCOL)) {
            return b;
        }
        return b.equals(EVERY_PROTOCOL) || a.equals(b) ? a : null;
    }

    private static boolean covers(String takes, String laterProtocol) {
        return takes.equals(EVERY_PROTOCOL) || takes.equals(laterProtocol);
    }
}
