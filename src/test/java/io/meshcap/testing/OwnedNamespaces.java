package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.util.List;
import java.util.Optional;

/**
 * The scratch network namespaces tests make, each recorded with the JVM that owns it ({@link OwnerRecords}) in
 * {@value #OWNERS_PATH}, so that those a killed test JVM left behind are removed by the next test that makes one.
 */
public final class OwnedNamespaces {

    private static final String OWNERS_PATH = "/run/meshcap/test-netns";
    static final OwnerRecords OWNERS = new OwnerRecords(OWNERS_PATH);

    private OwnedNamespaces() {
    }

    /** Removes the namespaces of owners that are gone, then makes {@code name}, owned by this JVM. */
    public static void add(String name) {
        sweepDeadRuns();
        // Recorded first, so that a kill right after the namespace exists still leaves it owned.
        OWNERS.own(name);
        Tshark.run("ip", "netns", "add", name);
    }

    /** Deletes {@code name} and its record. */
    public static void delete(String name) {
        CommandRunner.run(List.of("ip", "netns", "del", name));
        OWNERS.disown(name);
    }

    /**
     * Deletes every recorded namespace whose owner is gone, after stopping what still runs in it (a tcpdump the dead
     * JVM started keeps a namespace alive after {@code ip netns del}); returns their names. Namespaces without a
     * record, or of a live owner, are left alone.
     */
    public static List<String> sweepDeadRuns() {
        return OWNERS.sweep(OwnedNamespaces::remove);
    }

    private static void remove(String name) {
        CommandRunner.Result pids = CommandRunner.run(List.of("ip", "netns", "pids", name));
        if (pids.ok()) {
            pids.stdout().lines().map(String::strip).filter(line -> !line.isEmpty()).map(Long::parseLong)
                    .map(ProcessHandle::of).flatMap(Optional::stream).forEach(ProcessHandle::destroyForcibly);
        }
        CommandRunner.run(List.of("ip", "netns", "del", name));
    }
}
