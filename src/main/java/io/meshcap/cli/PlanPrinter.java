package io.meshcap.cli;

import io.meshcap.capture.LegPlan;
import io.meshcap.reassoc.RedirectPorts;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;

/**
 * Prints a capture plan: per leg, its label, interface, filter, the exact command that will run, what ends it,
 * and whether (and which REDIRECT ports) re-association undoes.
 */
final class PlanPrinter {

    private PlanPrinter() {
    }

    /**
     * @param capture  how each leg is captured: the exact command, or what captures it when no command runs
     * @param redirect the ports re-association undoes, or null when it is off
     */
    static void print(List<LegPlan> legs, Function<LegPlan, String> capture, RedirectPorts redirect,
            PrintWriter out) {
        for (LegPlan leg : legs) {
            out.println(leg.label());
            out.println("  interface: " + leg.interfaceName());
            out.println("  filter:    " + leg.filter());
            out.println("  capture:   " + capture.apply(leg));
            out.println("  stops:     " + leg.limits().describe());
            out.println("  re-associate: " + (leg.reassociate() && redirect != null ? "yes, undoing the REDIRECT to ports "
                    + redirect.outbound() + " (outbound) and " + redirect.inbound() + " (inbound)" : "no"));
        }
        out.flush();
    }
}
