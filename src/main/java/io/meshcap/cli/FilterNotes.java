package io.meshcap.cli;

import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.FilterParameter;
import io.meshcap.plan.Preset;
import java.io.PrintWriter;
import java.util.List;

/** The caveats of a set of filters that a user should read before trusting the capture. */
final class FilterNotes {

    private FilterNotes() {
    }

    static void print(List<Preset> presets, FilterInputs inputs, PrintWriter err) {
        boolean usesRange = presets.stream().anyMatch(p -> p.template().parameters().contains(FilterParameter.EPHEMERAL_RANGE));
        if (usesRange && inputs.ephemeralAssumed()) {
            err.println("meshcap: note: assuming the kernel's default ephemeral range " + inputs.ephemeralRange()
                    + "; pass the pod's real one with --ephemeral-range (its /proc/sys/net/ipv4/ip_local_port_range)");
        }
        if (usesRange) {
            for (int port : inputs.appPortsInEphemeralRange()) {
                err.println("meshcap: warning: application port " + port + " lies inside the ephemeral range "
                        + inputs.ephemeralRange() + ", so the outbound legs will also select traffic to it");
            }
        }
    }
}
