package io.meshcap.capture.k8s;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What this run has created in the cluster and not yet removed, as the user would name it ("node pod
 * shop/meshcap-node-x"). An object is added before the request that creates it is sent, so one whose creation
 * was in flight when meshcap was stopped is still named; it is removed once it is gone.
 */
public final class ClusterFootprint {

    // object → its namespace
    private final Map<String, String> objects = new LinkedHashMap<>();

    synchronized void add(String object, String namespace) {
        objects.put(object, namespace);
    }

    synchronized void remove(String object) {
        objects.remove(object);
    }

    /** Everything still there, in the order created. */
    public synchronized List<String> objects() {
        return List.copyOf(objects.keySet());
    }

    public synchronized boolean isEmpty() {
        return objects.isEmpty();
    }

    /** The command that removes what is left: {@code meshcap cleanup --run ID -n NS} (or {@code -A}). */
    public synchronized String cleanupCommand(String runId) {
        Set<String> namespaces = new TreeSet<>(objects.values());
        String where = namespaces.size() == 1 ? " -n " + namespaces.iterator().next() : " --all-namespaces";
        return "meshcap cleanup --run " + runId + where;
    }
}
