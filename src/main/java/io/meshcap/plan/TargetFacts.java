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
 * @param proxyUids      the socket owner uids the interception rules exempt as the proxy's; empty when the rules
 *                       were not read or name none
 * @param outboundPort   the outbound redirect port the rules name, or null when no Istio rules were read or
 *                       they name none
 * @param inboundPort    the inbound redirect port the rules name, the same way
 */
public record TargetFacts(String name, List<InetAddress> addresses, List<Integer> appPorts, PortRange ephemeralRange,
        List<String> notes, List<Long> proxyUids, Integer outboundPort, Integer inboundPort) {

    /** Nothing discovered: every value comes from flags. */
    public static TargetFacts none() {
        return new TargetFacts("flags", List.of(), List.of(), null, List.of());
    }

    public TargetFacts {
        addresses = List.copyOf(addresses);
        appPorts = List.copyOf(appPorts);
        notes = List.copyOf(notes);
        proxyUids = List.copyOf(proxyUids);
    }

    /** Facts found without reading the interception rules. */
    public TargetFacts(String name, List<InetAddress> addresses, List<Integer> appPorts, PortRange ephemeralRange,
            List<String> notes) {
        this(name, addresses, appPorts, ephemeralRange, notes, List.of(), null, null);
    }
}
