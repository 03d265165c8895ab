package io.meshcap.lab;

import java.util.Map;

/**
 * What exists of a lab right now.
 *
 * @param name          the lab's name
 * @param config        the config it was brought up with, or null when it has no run directory
 * @param podNamespace  whether {@code <name>-pod} exists
 * @param meshNamespace whether {@code <name>-mesh} exists
 * @param processes     the pid of each role that is running (a role that is not running is absent)
 * @param rulesLoaded   per family the lab uses, whether the pod namespace holds exactly Istio's nat rules
 * @param podAddresses  {@code ip -br addr} of the pod namespace (empty when it does not exist)
 * @param meshAddresses {@code ip -br addr} of the mesh namespace (empty when it does not exist)
 * @param natCounters   per family, the pod's nat table with counters (empty when it does not exist)
 */
public record LabStatus(String name, LabConfig config, boolean podNamespace, boolean meshNamespace,
        Map<LabRole, Long> processes, Map<IpFamily, Boolean> rulesLoaded, String podAddresses, String meshAddresses,
        Map<IpFamily, String> natCounters) {

    public LabStatus {
        processes = Map.copyOf(processes);
        rulesLoaded = Map.copyOf(rulesLoaded);
        natCounters = Map.copyOf(natCounters);
    }

    /** Whether everything of the lab is in place: namespaces, every process, every family's rules. */
    public boolean up() {
        return config != null && podNamespace && meshNamespace
                && processes.size() == LabRole.values().length
                && !rulesLoaded.isEmpty() && !rulesLoaded.containsValue(false);
    }

    /** Whether nothing of the lab is left: no namespaces, no processes, no run directory. */
    public boolean gone() {
        return config == null && !podNamespace && !meshNamespace
                && processes.isEmpty();
    }
}
