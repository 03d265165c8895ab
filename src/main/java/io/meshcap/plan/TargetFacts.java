package io.meshcap.plan;

import java.net.InetAddress;
import java.util.List;

/**
 * What discovery found out about a target, and what it had to assume. Flags override every value.
 *
 * @param name           the target's name, e.g. {@code default/reviews-v1-abc} or {@code meshcap-pod}
 * @param addresses      the pod's addresses (eth0, global scope)
 * @param appPorts       ports the application listens on (not the proxy's)
 * @param ephemeralRange the pod's local port range, or null when it could not be read
 * @param notes          what was assumed or could not be read, for the user
 */
public record TargetFacts(String name, List<InetAddress> addresses, List<Integer> appPorts, PortRange ephemeralRange,
        List<String> notes) {

    /** Nothing discovered: every value comes from flags. */
    public static TargetFacts none() {
        return new TargetFacts("flags", List.of(), List.of(), null, List.of());
    }

    public TargetFacts {
        addresses = List.copyOf(addresses);
        appPorts = List.copyOf(appPorts);
        notes = List.copyOf(notes);
    }
}
