package io.meshcap.istio;

import io.meshcap.istio.NetfilterRule.Key;
import io.meshcap.istio.NetfilterRule.Match;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The socket owners (uids and gids) the rules name, sorted into the proxy's own and the applications' selection.
 * One shape is shared: {@code -m owner --gid-owner G -j RETURN} is written both for the proxy's gid and for every
 * group of {@code ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE}. The proxy's owners are the ones that also appear in the rules
 * only the proxy gets (its self-call redirect to the inbound port, its loopback RETURN, its marks and conntrack
 * zones), so the shared shape is decided once all rules are read.
 */
final class SocketOwners {

    private final SortedSet<Long> proxyUids = new TreeSet<>();
    private final SortedSet<Long> proxyGids = new TreeSet<>();
    private final SortedSet<Long> returnedUids = new TreeSet<>();
    private final SortedSet<Long> returnedGids = new TreeSet<>();
    private final SortedSet<Long> onlyUids = new TreeSet<>();
    private final SortedSet<Long> onlyGids = new TreeSet<>();

    /** Whether the rule matches a socket owner at all. */
    static boolean named(NetfilterRule rule) {
        return rule.has(Key.UID_OWNER) || rule.has(Key.GID_OWNER);
    }

    /** A rule only the proxy gets: every owner it names is the proxy's. */
    Runnable proxy(NetfilterRule rule) {
        return record(rule, proxyUids, proxyGids);
    }

    /** {@code -m owner --gid-owner G -j RETURN}: the proxy's, or an exempt application owner. */
    Runnable returned(NetfilterRule rule) {
        return record(rule, returnedUids, returnedGids);
    }

    /** {@code -m owner ! --gid-owner A ! --gid-owner B -j RETURN}: only these application owners are redirected. */
    Runnable only(NetfilterRule rule) {
        return record(rule, onlyUids, onlyGids);
    }

    /** The proxy's uids: those of its own rules, else (a dump with no such rule) every uid returned untouched. */
    SortedSet<Long> proxyUids() {
        return proxyUids.isEmpty() ? returnedUids : proxyUids;
    }

    SortedSet<Long> proxyGids() {
        return proxyGids.isEmpty() ? returnedGids : proxyGids;
    }

    OwnerSelection selection() {
        return new OwnerSelection(onlyGids, exempt(returnedGids, proxyGids()), onlyUids, exempt(returnedUids, proxyUids()));
    }

    private static SortedSet<Long> exempt(SortedSet<Long> returned, SortedSet<Long> proxy) {
        SortedSet<Long> exempt = new TreeSet<>(returned);
        exempt.removeAll(proxy);
        return exempt;
    }

    /** Parses now (a bad id makes the rule unrecognised), records when the staged effect runs. */
    private static Runnable record(NetfilterRule rule, SortedSet<Long> uids, SortedSet<Long> gids) {
        SortedSet<Long> ruleUids = ids(rule.get(Key.UID_OWNER));
        SortedSet<Long> ruleGids = ids(rule.get(Key.GID_OWNER));
        return () -> {
            uids.addAll(ruleUids);
            gids.addAll(ruleGids);
        };
    }

    private static SortedSet<Long> ids(Match match) {
        SortedSet<Long> ids = new TreeSet<>();
        if (match != null) {
            for (String value : match.values()) {
                try {
                    ids.add(Long.parseLong(value));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("owner match is not a numeric id: " + value);
                }
            }
        }
        return ids;
    }
}
