package io.meshcap.plan;

import io.meshcap.istio.IstioDefaults;
import io.meshcap.net.Addresses;
import io.meshcap.net.Cidr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The values a preset template is rendered with, whether they came from flags or from the pod itself.
 *
 * @param podIps           the pod's addresses (one per family on a dual-stack pod)
 * @param appPorts         the application ports the inbound legs select
 * @param ephemeralRange   the pod's local port range
 * @param ephemeralAssumed true when {@code ephemeralRange} is the kernel default rather than read from the pod
 * @param outboundPort     the sidecar's outbound capture port (ISTIO_REDIRECT's {@code --to-ports})
 * @param clusterNets      the cluster's networks (pod and service CIDRs), normalised
 * @param listenerPorts    a gateway's listener ports: the ports given with --port, never discovered ones
 */
public record FilterInputs(
        List<InetAddress> podIps,
        List<Integer> appPorts,
        PortRange ephemeralRange,
        boolean ephemeralAssumed,
        int outboundPort,
        List<Cidr> clusterNets,
        List<Integer> listenerPorts) {


    // Where the kernel's REDIRECT sends locally generated packets: the loopback address of their family.
    private static final String IPV4_LOOPBACK = "127.0.0.1";
    private static final String IPV6_LOOPBACK = "::1";

    public FilterInputs {
        podIps = List.copyOf(podIps);
        appPorts = List.copyOf(appPorts);
        clusterNets = List.copyOf(clusterNets);
        listenerPorts = List.copyOf(listenerPorts);
    }

    /** Inputs for a pod that is no gateway, or whose listener ports are not known. */
    public FilterInputs(List<InetAddress> podIps, List<Integer> appPorts, PortRange ephemeralRange,
            boolean ephemeralAssumed, int outboundPort, List<Cidr> clusterNets) {
        this(podIps, appPorts, ephemeralRange, ephemeralAssumed, outboundPort, clusterNets, List.of());
    }

    /** Whether a value for this parameter is present. */
    public boolean has(FilterParameter parameter) {
        return switch (parameter) {
            case POD_IP, LOOPBACK -> !podIps.isEmpty();
            case APP_PORTS -> !appPorts.isEmpty();
            case LISTENER_PORTS -> !listenerPorts.isEmpty();
            case CLUSTER_NETS -> !clusterNets.isEmpty();
            case EPHEMERAL_RANGE, OUTBOUND_PORT -> true;
        };
    }

    /** The BPF text for one parameter; lists become {@code (a or b)}, which libpcap distributes over the keyword. */
    public String render(FilterParameter parameter) {
        return switch (parameter) {
            case POD_IP -> alternatives(podIps, Addresses::format);
            case LOOPBACK -> alternatives(loopbacks(), Function.identity());
            case APP_PORTS -> alternatives(appPorts, String::valueOf);
            case LISTENER_PORTS -> alternatives(listenerPorts, String::valueOf);
            case EPHEMERAL_RANGE -> ephemeralRange.toString();
            case OUTBOUND_PORT -> Integer.toString(outboundPort);
            case CLUSTER_NETS -> alternatives(clusterNets, Cidr::toString);
        };
    }

    private List<String> loopbacks() {
        Set<String> loopbacks = new LinkedHashSet<>();
        for (InetAddress ip : podIps) {
            loopbacks.add(ip instanceof Inet6Address ? IPV6_LOOPBACK : IPV4_LOOPBACK);
        }
        return new ArrayList<>(loopbacks);
    }

    private static <T> String alternatives(List<T> values, Function<T, String> format) {
        List<String> texts = values.stream().map(format).distinct().toList();
        return texts.size() == 1 ? texts.get(0) : "(" + String.join(" or ", texts) + ")";
    }

    /** Application ports that fall inside the ephemeral range, where the outbound filters would also select them. */
    public List<Integer> appPortsInEphemeralRange() {
        return appPorts.stream().filter(ephemeralRange::contains).toList();
    }
}
