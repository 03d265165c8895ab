package io.meshcap.plan;

import io.meshcap.net.Addresses;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The caveats of a set of filters that a user should read before trusting the capture. The one place that says
 * when the ephemeral range was assumed and which application ports lie inside it: {@code filter} and
 * {@code capture} print them, {@code inspect} shows them with each preset.
 *
 * @param notes    what the filters assume
 * @param warnings what the filters will select that they should not
 */
public record FilterNotes(List<String> notes, List<String> warnings) {

    public FilterNotes {
        notes = List.copyOf(notes);
        warnings = List.copyOf(warnings);
    }

    /** The caveats of the presets' filters rendered with {@code inputs}; none for presets that do not use the range. */
    public static FilterNotes of(Collection<Preset> presets, FilterInputs inputs) {
        List<String> notes = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        boolean usesRange = presets.stream().anyMatch(p -> p.template().parameters().contains(FilterParameter.EPHEMERAL_RANGE));
        if (usesRange && inputs.ephemeralAssumed()) {
            notes.add("assuming the kernel's default ephemeral range " + inputs.ephemeralRange()
                    + "; pass the pod's real one with --ephemeral-range (its /proc/sys/net/ipv4/ip_local_port_range)");
        }
        if (usesRange) {
            // The outbound filters select the pod's side of a connection by its port: an app port in the range matches too.
            for (int port : inputs.appPortsInEphemeralRange()) {
                warnings.add("application port " + port + " lies inside the ephemeral range " + inputs.ephemeralRange()
                        + ", so filters that select that range also select traffic to it");
            }
        }
        boolean usesNets = presets.stream().anyMatch(p -> p.template().parameters().contains(FilterParameter.CLUSTER_NETS));
        if (usesNets && !inputs.clusterNets().isEmpty()) {
            outsideClusterNets(inputs, warnings);
        }
        return new FilterNotes(notes, warnings);
    }

    /** A gateway's own address must lie in the cluster networks; if not, the networks given are almost surely wrong. */
    private static void outsideClusterNets(FilterInputs inputs, List<String> warnings) {
        for (InetAddress podIp : inputs.podIps()) {
            if (inputs.clusterNets().stream().noneMatch(net -> net.contains(podIp))) {
                warnings.add("the gateway's address " + Addresses.format(podIp) + " lies outside the cluster networks "
                        + inputs.render(FilterParameter.CLUSTER_NETS) + ": they must hold every pod's address, the"
                        + " gateway's too, so --cluster-cidr is probably wrong (the nodes' pod networks: kubectl get"
                        + " nodes -o jsonpath='{.items[*].spec.podCIDRs}'). Filters without the gateway's address would"
                        + " take all its TCP for downstream and none for upstream; with it, in-cluster peers outside"
                        + " those networks still count as downstream");
            }
        }
    }

    /** Prints them as every command prints its caveats, on stderr. */
    public void print(PrintWriter err) {
        notes.forEach(note -> err.println("meshcap: note: " + note));
        warnings.forEach(warning -> err.println("meshcap: warning: " + warning));
    }
}
