package io.meshcap.cli;

import io.meshcap.plan.LegFilter;
import io.meshcap.plan.Preset;
import java.io.PrintWriter;

/** Prints what a leg is, in words, for a reader who has never captured inside a sidecar pod. */
final class LegExplanation {

    private static final int WIDTH = 100;
    private static final int LABEL_WIDTH = 16;

    private LegExplanation() {
    }

    static void print(LegFilter filter, PrintWriter out) {
        Preset preset = filter.preset();
        field(out, "leg", preset.name() + " (" + preset.role() + "): " + preset.summary());
        field(out, "interface", preset.interfaceName());
        field(out, "capture point", preset.capturePoint().relativeToRedirect() + ": " + preset.capturePoint().description());
        field(out, "why", preset.capturePointDetail());
        field(out, "shows", preset.shows());
        field(out, "does not show", preset.doesNotShow());
        field(out, "re-association", preset.reassociate()
                ? "needed: the REDIRECT splits each connection on this leg in two; meshcap capture re-associates them"
                : "not needed: every connection on this leg keeps its addresses");
        field(out, "tcpdump", "tcpdump -ni " + preset.interfaceName() + " '" + filter.expression() + "'");
    }

    private static void field(PrintWriter out, String label, String text) {
        String indent = " ".repeat(LABEL_WIDTH);
        StringBuilder line = new StringBuilder(String.format("%-" + LABEL_WIDTH + "s", label + ":"));
        int lineStart = 0;
        for (String word : text.split(" ")) {
            if (line.length() - lineStart + word.length() + 1 > WIDTH && line.length() - lineStart > LABEL_WIDTH) {
                line.append(System.lineSeparator()).append(indent);
                lineStart = line.length() - LABEL_WIDTH;
            } else if (line.length() - lineStart > LABEL_WIDTH) {
                line.append(' ');
            }
            line.append(word);
        }
        out.println(line);
    }
}
