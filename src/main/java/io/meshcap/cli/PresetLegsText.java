package io.meshcap.cli;

import io.meshcap.istio.PresetLegs;
import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The per-preset section of {@code inspect}'s text output. */
final class PresetLegsText {

    private PresetLegsText() {
    }

    /** Warnings under their leg; notes once at the end, since legs that share a value share its note. */
    static void print(List<PresetLegs.Leg> legs, List<String> targetNotes, PrintWriter out) {
        out.println();
        out.println("Capture legs (presets as they would capture here):");
        Set<String> notes = new LinkedHashSet<>(targetNotes);
        for (PresetLegs.Leg leg : legs) {
            out.println("  " + leg.preset() + " on " + leg.interfaceName() + ", " + leg.capturePoint());
            out.println("    filter   " + (leg.filter() != null ? leg.filter() : "(" + leg.missing() + ")"));
            out.println("    capture  " + leg.capturePointDetail());
            leg.warnings().forEach(warning -> out.println("    warning: " + warning));
            notes.addAll(leg.notes());
        }
        notes.forEach(note -> out.println("  note: " + note));
    }
}
