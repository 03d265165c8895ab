package io.meshcap.istio;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a pod's interception rules from a dump: {@code iptables-save} and {@code ip6tables-save} output of
 * either back end, {@code nft list ruleset} output, or any concatenation of them. When several back ends are
 * present it reads the one that holds Istio's rules and says so in the model's notes.
 */
public final class RuleDumpReader {

    private RuleDumpReader() {
    }

    /**
     * One dump from several tools' outputs, in order, each ending its last line, so that a tool whose output lacks a
     * final newline does not run into the next one's first line.
     */
    public static String concatenate(List<String> outputs) {
        StringBuilder dump = new StringBuilder();
        for (String output : outputs) {
            dump.append(output);
            if (!output.isEmpty() && !output.endsWith("\n")) {
                dump.append('\n');
            }
        }
        return dump.toString();
    }

    /** Whether the text holds any iptables-save table or nft table at all, Istio's or not. */
    public static boolean holdsRules(String dump) {
        return !DumpSplitter.split(dump).sections().isEmpty();
    }

    /** Builds the model from the dump's text; never throws on bad input, it reports it in the model. */
    public static InterceptionModel read(String dump) {
        DumpSplitter.Result split = DumpSplitter.split(dump);
        List<UnrecognisedRule> unrecognised = new ArrayList<>(split.unrecognised());
        List<String> notes = new ArrayList<>(split.notes());
        Map<RuleBackend, Candidate> candidates = new LinkedHashMap<>();
        boolean nftSeesIptablesChains = false;
        for (RuleSection section : split.sections()) {
            if (section.backend() == RuleBackend.NFTABLES && !NftRulesetParser.isIstioTable(section)) {
                // iptables-nft's own tables show up in nft's listing too; they are read from iptables-nft-save.
                boolean istio = section.lines().stream().anyMatch(l -> l.text().contains("ISTIO_"));
                nftSeesIptablesChains |= istio;
                notes.add(lineRange(section) + ": " + section.detail()
                        + (istio ? " holds Istio's iptables chains as nft sees them; meshcap reads those from iptables-nft-save"
                                : " is not Istio's; not read"));
                continue;
            }
            Candidate candidate = candidates.computeIfAbsent(section.backend(), Candidate::new);
            candidate.details.add(section.detail());
            candidate.rules.addAll(section.backend() == RuleBackend.NFTABLES
                    ? NftRulesetParser.parse(section, unrecognised)
                    : IptablesSaveParser.parse(section, unrecognised));
        }
        Candidate chosen = candidates.values().stream()
                .filter(c -> c.istioRules() > 0)
                .max(Comparator.comparingLong(Candidate::istioRules))
                .orElse(null);
        for (Candidate other : candidates.values()) {
            if (other == chosen) {
                continue;
            }
            String otherRules = other.rules.size() > other.istioRules()
                    ? "; " + (other.rules.size() - other.istioRules()) + " other rule(s) there were not read" : "";
            notes.add(other.backend.label() + " (" + String.join(", ", other.details) + "): "
                    + (other.istioRules() > 0 ? other.istioRules() + " Istio rules too; the kernel applies them as well, but the model is read from "
                            + chosen.backend.label() : "no Istio rules") + otherRules);
        }
        if (chosen == null) {
            if (nftSeesIptablesChains) {
                notes.add("Istio's rules were written through iptables-nft; add iptables-nft-save output to the dump");
            }
            return InterceptionInterpreter.interpret(List.of(), RuleBackend.NONE, "no Istio rules found", unrecognised, notes);
        }
        String detail = String.join(", ", chosen.details);
        if (candidates.size() > 1) {
            notes.add(0, "read Istio's rules from " + detail);
        }
        // Rules outside the chosen back end stay out of the model, but their unreadable lines were still reported.
        return InterceptionInterpreter.interpret(chosen.rules, chosen.backend, detail, unrecognised, notes);
    }

    private static String lineRange(RuleSection section) {
        List<DumpLine> lines = section.lines();
        return "lines " + lines.get(0).number() + "-" + lines.get(lines.size() - 1).number();
    }

    private static final class Candidate {
        private final RuleBackend backend;
        private final List<String> details = new ArrayList<>();
        private final List<NetfilterRule> rules = new ArrayList<>();

        Candidate(RuleBackend backend) {
            this.backend = backend;
        }

        long istioRules() {
            return rules.stream().filter(r -> r.chain().startsWith("ISTIO_") || r.target().startsWith("ISTIO_")).count();
        }
    }
}
