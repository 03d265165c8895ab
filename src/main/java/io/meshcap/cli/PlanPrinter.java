package io.meshcap.cli;

import io.meshcap.capture.LegPlan;
import io.meshcap.reassoc.RedirectPorts;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Prints a capture plan: per leg, its label, interface, filter, the exact command that will run, and whether
 * (and which REDIRECT ports) re-association undoes.
 */
final class PlanPrinter {

    private PlanPrinter() {
    }

    /** @param redirect the ports re-association undoes, or null when it is off */
    static void print(List<LegPlan> legs, Function<LegPlan, List<String>> command, RedirectPorts redirect,
            PrintWriter out) {
        for (LegPlan leg : legs) {
            out.println(leg.label());
            out.println("  interface: " + leg.interfaceName());
            out.println("  filter:    " + leg.filter());
            out.println("  command:   " + command.apply(leg).stream().map(PlanPrinter::quote).collect(Collectors.joining(" ")));
            out.println("  re-associate: " + (leg.reassociate() && redirect != null ? "yes, undoing the REDIRECT to ports "
                    + redirect.outbound() + " (outbound) and " + redirect.inbound() + " (inbound)" : "no"));
        }
        out.flush();
    }

    /** Shell-quotes an argument for display only; meshcap itself never runs a shell. */
    static String quote(String argument) {
        return argument.matches("[A-Za-z0-9_./=:@%+-]+") ? argument : "'" + argument.replace("'", "'\\''") + "'";
    }
}
