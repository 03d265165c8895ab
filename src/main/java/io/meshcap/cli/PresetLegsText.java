package io.meshcap.cli;

import io.meshcap.istio.PresetLegs;
import java.io.PrintWriter;
import java.util.List;

/** The per-preset section of {@code inspect}'s text output. */
final class PresetLegsText {

    private PresetLegsText() {
    }

    static void print(List<PresetLegs.Leg> legs, List<String> notes, PrintWriter out) {
        out.println();
        out.println("Capture legs (presets as they would capture here):");
        for (PresetLegs.Leg leg : legs) {
            out.println("  " + leg.preset() + " on " + leg.interfaceName() + ", " + leg.capturePoint());
            out.println("    filter   " + (leg.filter() != null ? leg.filter() : "(" + leg.missing() + ")"));
            out.println("    capture  " + leg.capturePointDetail());
            leg.warnings().forEach(warning -> out.println("    warning: " + warning));
        }
        notes.forEach(note -> out.println("  note: " + note));
    }
}
