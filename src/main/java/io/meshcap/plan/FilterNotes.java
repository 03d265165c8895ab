package io.meshcap.plan;

import java.io.PrintWriter;
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
        return new FilterNotes(notes, warnings);
    }

    /** Prints them as every command prints its caveats, on stderr. */
    public void print(PrintWriter err) {
        notes.forEach(note -> err.println("meshcap: note: " + note));
        warnings.forEach(warning -> err.println("meshcap: warning: " + warning));
    }
}
