package io.meshcap.istio;

import java.util.List;

/**
 * The lines of one tool's output inside a dump, e.g. all tables an {@code iptables-nft-save} printed, or one
 * {@code nft list ruleset} table.
 *
 * @param backend  whose view these lines are
 * @param detail   what identified it (the header without its date, or the nft table name)
 * @param lines    the lines, without the {@code # Generated}/{@code # Completed} comments
 */
record RuleSection(RuleBackend backend, String detail, List<DumpLine> lines) {

    RuleSection {
        lines = List.copyOf(lines);
    }
}
