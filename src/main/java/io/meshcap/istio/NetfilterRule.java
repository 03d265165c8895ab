package io.meshcap.istio;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One rule from either dump format, normalised so one interpreter reads both: iptables chain and table names
 * ({@code ISTIO_OUTPUT}, {@code nat}), matches under canonical keys, the verdict or jump as the target.
 *
 * @param line          the line number in the dump (1-based)
 * @param text          the rule as written in the dump
 * @param table         {@code nat}, {@code mangle}, {@code raw}, ...
 * @param tableLine     the line of the table's header ({@code *nat}, {@code table inet istio-proxy-nat {}): the
 *                      same chain in iptables-save's and ip6tables-save's output are two chains
 * @param chain         the chain the rule is in, iptables-style
 * @param matches       canonical key ({@link Key}) to match
 * @param target        {@code RETURN}, {@code ACCEPT}, {@code REDIRECT}, {@code TPROXY}, {@code MARK}, a chain name, ...
 * @param targetPort    the port of a REDIRECT or TPROXY target, or 0
 * @param targetMark    the mark a MARK, CONNMARK or TPROXY target sets, or null
 */
record NetfilterRule(int line, String text, String table, int tableLine, String chain, Map<Key, Match> matches,
        String target, int targetPort, String targetMark) {

    /** The matches meshcap understands; anything else makes the rule unrecognised. */
    enum Key { SOURCE, DESTINATION, IN_INTERFACE, OUT_INTERFACE, PROTOCOL, DESTINATION_PORTS, SOURCE_PORTS,
        UID_OWNER, GID_OWNER, MARK, CONNMARK, CT_STATE }

    /** A match value and whether it was negated ({@code !} or {@code !=}). */
    record Match(String value, boolean negated) {

        /** The values of a list match: {@code 53,15008} (multiport, an nft set, repeated owner matches). */
        List<String> values() {
            return List.of(value.split(","));
        }
    }

    /** Istio repeats the owner match to name several owners: {@code ! --gid-owner 3001 ! --gid-owner 202}. */
    private static final Set<Key> REPEATABLE = Set.of(Key.UID_OWNER, Key.GID_OWNER);

    /**
     * Adds a match while a rule is parsed. Repeated negated owner matches mean "none of these owners" and become one
     * match listing them all; any other repeat with a different value is refused rather than half read.
     */
    static void addMatch(Map<Key, Match> matches, Key key, Match match) {
        Match earlier = matches.get(key);
        if (earlier == null || earlier.equals(match)) {
            matches.put(key, match);
        } else if (REPEATABLE.contains(key) && earlier.negated() && match.negated()) {
            matches.put(key, new Match(earlier.value() + "," + match.value(), true));
        } else {
            throw new IllegalArgumentException("two " + key.name().toLowerCase(Locale.ROOT).replace('_', ' ')
                    + " matches in one rule");
        }
    }

    NetfilterRule {
        matches = Map.copyOf(matches);
    }

    boolean has(Key key) {
        return matches.containsKey(key);
    }

    Match get(Key key) {
        return matches.get(key);
    }

    /** The positive value of {@code key}, or null when absent or negated. */
    String positive(Key key) {
        Match match = matches.get(key);
        return match == null || match.negated() ? null : match.value();
    }

    boolean onlyHas(Key... keys) {
        return matches.keySet().stream().allMatch(k -> Arrays.asList(keys).contains(k));
    }
}
