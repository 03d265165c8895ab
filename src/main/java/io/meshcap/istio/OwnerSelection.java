package io.meshcap.istio;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which applications' outbound traffic the rules send to the proxy, by the owner of the socket: istio-iptables'
 * {@code ISTIO_OUTBOUND_OWNER_GROUPS} (only these groups, {@code -m owner ! --gid-owner A ! --gid-owner B -j RETURN})
 * and {@code ..._EXCLUDE} (these groups never, {@code -m owner --gid-owner G -j RETURN}), and the same for users.
 * These owners are the application's, never the proxy's: the proxy's uid and gid are read separately.
 *
 * @param onlyGroups  when not empty, only sockets of these groups are redirected
 * @param exemptGroups sockets of these groups are never redirected
 * @param onlyUsers   when not empty, only sockets of these users are redirected
 * @param exemptUsers sockets of these users are never redirected
 */
public record OwnerSelection(SortedSet<Long> onlyGroups, SortedSet<Long> exemptGroups, SortedSet<Long> onlyUsers,
        SortedSet<Long> exemptUsers) {

    public OwnerSelection {
        onlyGroups = frozen(onlyGroups);
        exemptGroups = frozen(exemptGroups);
        onlyUsers = frozen(onlyUsers);
        exemptUsers = frozen(exemptUsers);
    }

    /** No selection: every socket that is not the proxy's is redirected. */
    public static OwnerSelection everyone() {
        return new OwnerSelection(new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
    }

    /** Whether some applications' outbound traffic bypasses the proxy because of its owner. */
    public boolean selects() {
        return !onlyGroups.isEmpty() || !exemptGroups.isEmpty() || !onlyUsers.isEmpty() || !exemptUsers.isEmpty();
    }

    private static SortedSet<Long> frozen(SortedSet<Long> ids) {
        return Collections.unmodifiableSortedSet(new TreeSet<>(ids));
    }
}
