package io.meshcap.istio;

import io.meshcap.istio.NetfilterRule.Key;
import io.meshcap.istio.NetfilterRule.Match;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds rules the kernel never applies. Netfilter walks a chain in order, so a rule placed after one that takes every
 * packet it could match is dead: after an unconditional RETURN, or after an exclude of the same destination (Istio
 * writes {@code -d X -j RETURN} before {@code -d X -j ISTIO_REDIRECT} when a CIDR is both excluded and included).
 * And a chain that no built-in chain of its table jumps to is never walked at all (in TPROXY mode the nat table's
 * ISTIO_INBOUND, since inbound goes through the mangle table).
 *
 * <p>An earlier rule takes a later one's packets when it ends the walk (a verdict, a redirect, or a jump to a chain
 * that never returns them) and each of its matches holds for every packet the later rule matches: the same match, a
 * network that contains the later one's, or a port list that contains the later one's. Anything subtler is left
 * alone: a rule is reported dead only when that is certain.
 */
final class ChainOrder {

    /** Verdicts that end the walk of the chain they are in. */
    private static final Set<String> ENDS_CHAIN = Set.of("RETURN", "ACCEPT", "DROP", "REJECT", "REDIRECT", "TPROXY", "DNAT");
    /** The chains the kernel walks by itself; nft's base chains carry the same names in Istio's tables. */
    static final Set<String> BUILT_IN_CHAINS = Set.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING");
    /** A rule without a protocol match takes packets of every protocol. */
    private static final String EVERY_PROTOCOL = "*";

    private record ChainKey(int tableLine, String chain) {
    }

    /**
     * A chain the kernel never walks.
     *
     * @param table the table it is in
     * @param chain its name
     * @param lines the lines of its rules
     */
    record UnreachedChain(String table, String chain, List<Integer> lines) {
    }

    private final Map<ChainKey, List<NetfilterRule>> chains = new LinkedHashMap<>();

    private ChainOrder(List<NetfilterRule> rules) {
        rules.forEach(rule -> chains.computeIfAbsent(key(rule), key -> new ArrayList<>()).add(rule));
    }

    private static ChainKey key(NetfilterRule rule) {
        return new ChainKey(rule.tableLine(), rule.chain());
    }

    /** Every rule that takes all the packets some later rules of its chain could match, with those rules. */
    static List<ShadowingRule> shadowing(List<NetfilterRule> rules) {
        ChainOrder order = new ChainOrder(rules);
        List<ShadowingRule> found = new ArrayList<>();
        order.chains.forEach((key, chain) -> {
            Set<NetfilterRule> dead = new HashSet<>();
            for (int i = 0; i < chain.size(); i++) {
                NetfilterRule rule = chain.get(i);
                String kept = dead.contains(rule) ? null : order.keeps(rule, new HashSet<>());
                if (kept == null) {
                    continue;
                }
                List<Integer> lines = new ArrayList<>();
                for (NetfilterRule later : chain.subList(i + 1, chain.size())) {
                    if (!dead.contains(later) && covers(kept, later.positive(Key.PROTOCOL)) && implies(later, rule)) {
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

    /** The chains (with rules) that no built-in chain of their table reaches through rules that apply. */
    static List<UnreachedChain> unreached(List<NetfilterRule> rules, Set<Integer> deadLines) {
        ChainOrder order = new ChainOrder(rules);
        Set<ChainKey> reached = new HashSet<>();
        Deque<ChainKey> walk = new ArrayDeque<>();
        order.chains.keySet().stream().filter(key -> BUILT_IN_CHAINS.contains(key.chain())).forEach(walk::add);
        while (!walk.isEmpty()) {
            ChainKey key = walk.pop();
            if (!reached.add(key)) {
                continue;
            }
            for (NetfilterRule rule : order.chains.get(key)) {
                ChainKey called = new ChainKey(key.tableLine(), rule.target());
                if (!deadLines.contains(rule.line()) && order.chains.containsKey(called)) {
                    walk.push(called);
                }
            }
        }
        List<UnreachedChain> unreached = new ArrayList<>();
        order.chains.forEach((key, chain) -> {
            if (!reached.contains(key)) {
                unreached.add(new UnreachedChain(chain.get(0).table(), key.chain(),
                        chain.stream().map(NetfilterRule::line).toList()));
            }
        });
        return unreached;
    }

    /**
     * The protocol of the packets matching {@code rule} that never go on past it ({@link #EVERY_PROTOCOL} for all),
     * or null when some do. A jump keeps packets only when the chain it calls never returns them.
     */
    private String keeps(NetfilterRule rule, Set<ChainKey> visiting) {
        if (ENDS_CHAIN.contains(rule.target())) {
            return EVERY_PROTOCOL;
        }
        ChainKey called = new ChainKey(rule.tableLine(), rule.target());
        return visiting.add(called) ? keptBy(called, visiting) : null;
    }

    /** The protocol a called chain never returns to its caller: its first rule that takes everything decides. */
    private String keptBy(ChainKey called, Set<ChainKey> visiting) {
        for (NetfilterRule rule : chains.getOrDefault(called, List.of())) {
            String protocol = rule.positive(Key.PROTOCOL);
            if (!rule.onlyHas(Key.PROTOCOL) || (protocol == null && rule.has(Key.PROTOCOL))) {
                continue;
            }
            String kept = keeps(rule, visiting);
            if (kept != null) {
                return rule.target().equals("RETURN") ? null : narrower(protocol != null ? protocol : EVERY_PROTOCOL, kept);
            }
        }
        return null;
    }

    /** Whether every packet {@code later} matches is matched by {@code earlier} too. */
    private static boolean implies(NetfilterRule later, NetfilterRule earlier) {
        for (Map.Entry<Key, Match> condition : earlier.matches().entrySet()) {
            Match narrow = later.get(condition.getKey());
            if (narrow == null || !within(condition.getKey(), narrow, condition.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean within(Key key, Match narrow, Match wide) {
        if (narrow.equals(wide)) {
            return true;
        }
        if (narrow.negated() || wide.negated()) {
            return false;
        }
        return switch (key) {
            case SOURCE, DESTINATION -> RuleAddresses.within(narrow.value(), wide.value());
            case DESTINATION_PORTS, SOURCE_PORTS -> wide.values().containsAll(narrow.values());
            default -> false;
        };
    }

    private static String narrower(String a, String b) {
        if (a.equals(EVERY_PROTOCOL)) {
            return b;
        }
        return b.equals(EVERY_PROTOCOL) || a.equals(b) ? a : null;
    }

    private static boolean covers(String kept, String laterProtocol) {
        return kept.equals(EVERY_PROTOCOL) || kept.equals(laterProtocol);
    }
}
