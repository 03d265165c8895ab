package io.meshcap.istio;

import java.util.List;

/**
 * An interface whose inbound traffic the rules send to the proxy's outbound port, as {@code istio-iptables
 * --kube-virt-interfaces} does for a KubeVirt VM's interfaces: the VM's own calls enter the pod there and go out
 * through the proxy like the app's. Received packets are captured on that interface before the REDIRECT, so the
 * interface shows them with their original destination; they never appear on lo.
 *
 * @param name         the interface
 * @param destinations the destinations that are rerouted; empty when all are (other traffic on the interface
 *                     bypasses the proxy)
 */
public record ReroutedInterface(String name, List<String> destinations) {

    public ReroutedInterface {
        destinations = List.copyOf(destinations);
    }

    /** Whether every destination is rerouted, not only the listed ones. */
    public boolean allDestinations() {
        return destinations.isEmpty();
    }
}
