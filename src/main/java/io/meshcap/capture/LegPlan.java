package io.meshcap.capture;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One leg to capture: which target, which interface inside its network namespace, which filter.
 * The filter has been accepted by libpcap before a plan is made (see {@code io.meshcap.plan.FilterBuilder}).
 *
 * @param target        who is captured, e.g. {@code default/reviews-v1-abc} or {@code netns meshcap-pod}
 * @param interfaceName the interface inside the target's network namespace, e.g. {@code eth0}
 * @param preset        the catalogue preset the leg came from, e.g. {@code outbound-plain}
 * @param filter        the BPF expression
 * @param reassociate   whether the leg's packets must be re-associated across the REDIRECT
 * @param limits        when to stop and how much to keep
 * @param metadata      what is known about the target (namespace, pod, node, container, capture point...),
 *                      written into the leg's pcapng interface description
 */
public record LegPlan(
        String target,
        String interfaceName,
        String preset,
        String filter,
        boolean reassociate,
        CaptureLimits limits,
        Map<String, String> metadata) {

    public LegPlan {
        // In the order given (namespace, pod, node...): Map.copyOf's order changes from one run to the next.
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * The leg's name in the merged file, e.g. {@code reviews-v1-abc/lo:outbound-plain}: the pod, the
     * interface, and the preset, since two legs may share an interface.
     */
    public String label() {
        String shortTarget = target.substring(target.lastIndexOf('/') + 1);
        return shortTarget + "/" + interfaceName + ":" + preset;
    }
}
