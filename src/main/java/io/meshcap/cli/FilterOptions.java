package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.net.Addresses;
import io.meshcap.net.Cidr;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.PortRange;
import io.meshcap.plan.TargetFacts;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** The values a filter is built from, as flags; shared by every command that renders presets. */
final class FilterOptions {

    @Option(names = "--pod-ip", paramLabel = "IP",
            description = "The pod's address (repeat for a dual-stack pod: one IPv4, one IPv6).")
    List<String> podIps = new ArrayList<>();

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "Application port the inbound legs select (repeatable); for a gateway, its listener ports.")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--ephemeral-range", paramLabel = "LO-HI",
            description = "The pod's ephemeral port range (its net.ipv4.ip_local_port_range). "
                    + "Default: the kernel default 32768-60999.")
    String ephemeralRange;

    @Option(names = "--outbound-port", paramLabel = "PORT",
            description = "The sidecar's outbound capture port (ISTIO_REDIRECT --to-ports). Default: for capture and"
                    + " inspect, what the pod's rules say; else Istio's " + IstioDefaults.OUTBOUND_CAPTURE_PORT + ".")
    Integer outboundPort;

    @Option(names = "--cluster-cidr", paramLabel = "CIDR",
            description = "The cluster's pod network (repeatable; host bits are cleared, as libpcap requires).")
    List<String> clusterCidrs = new ArrayList<>();

    @Option(names = "--service-cidr", paramLabel = "CIDR",
            description = "The cluster's service network (repeatable); counts as inside the cluster for gateway presets.")
    List<String> serviceCidrs = new ArrayList<>();

    /** The CIDRs whose normalisation was already explained. */
    private final Set<String> explained = new HashSet<>();

    /**
     * Checks every flag given, so that a command can refuse a mistake before it reads or starts anything;
     * {@link #inputs} checks them again as it uses them.
     */
    void validate() {
        podAddresses();
        ports.forEach(port -> PortRange.port(port, "--port"));
        if (outboundPort != null) {
            PortRange.port(outboundPort, "--outbound-port");
        }
        if (ephemeralRange != null) {
            PortRange.parse(ephemeralRange);
        }
        concat(clusterCidrs, serviceCidrs).forEach(Cidr::parse);
    }

    /** The --pod-ip addresses: at most one per family, as a pod has (two of one family is a typo or two pods). */
    private List<InetAddress> podAddresses() {
        List<InetAddress> addresses = podIps.stream().map(ip -> Addresses.parse(ip, "--pod-ip")).toList();
        for (Class<?> family : List.of(Inet4Address.class, Inet6Address.class)) {
            List<String> same = addresses.stream().filter(family::isInstance).map(Addresses::format).toList();
            if (same.size() > 1) {
                throw MeshcapException.usage("--pod-ip: " + same.size() + " " + (family == Inet4Address.class ? "IPv4"
                        : "IPv6") + " addresses (" + String.join(", ", same) + "); a pod has one per family: give at"
                        + " most one IPv4 and one IPv6 address");
            }
        }
        return addresses;
    }

    /**
     * The values to render filters with: each flag given overrides what discovery found. CIDRs that had host
     * bits set are reported on {@code notes}.
     */
    FilterInputs inputs(PrintWriter notes, TargetFacts discovered) {
        List<InetAddress> addresses = podIps.isEmpty() ? discovered.addresses() : podAddresses();
        List<Integer> appPorts = ports.isEmpty() ? discovered.appPorts() : ports;
        appPorts.forEach(port -> PortRange.port(port, "--port"));
        int outbound = outboundPort != null ? PortRange.port(outboundPort, "--outbound-port")
                : discovered.outboundPort() != null ? discovered.outboundPort() : IstioDefaults.OUTBOUND_CAPTURE_PORT;
        List<Cidr> nets = new ArrayList<>();
        for (String text : concat(clusterCidrs, serviceCidrs)) {
            Cidr cidr = Cidr.parse(text);
            // Once per CIDR however often it is given or the inputs are built (capture builds them per pod).
            if (cidr.changed() && explained.add(text.strip())) {
                notes.println("meshcap: note: " + cidr.explain());
            }
            nets.add(cidr);
        }
        PortRange range = ephemeralRange != null ? PortRange.parse(ephemeralRange) : discovered.ephemeralRange();
        boolean assumed = range == null;
        return new FilterInputs(addresses, appPorts, assumed ? PortRange.LINUX_DEFAULT_EPHEMERAL : range, assumed,
                outbound, nets, ports);
    }

    /** Where the ephemeral range {@link #inputs} uses comes from, in words, for a report. */
    String ephemeralRangeOrigin(TargetFacts discovered) {
        if (ephemeralRange != null) {
            return "given with --ephemeral-range";
        }
        return discovered.ephemeralRange() != null ? "read from the namespace" : "kernel default, assumed";
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
