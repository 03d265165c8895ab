package io.meshcap.cli;

import io.meshcap.istio.Advice;
import io.meshcap.istio.Inspection;
import io.meshcap.istio.InterceptionMode;
import io.meshcap.istio.InterceptionModel;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.istio.LoopbackSource;
import io.meshcap.istio.OwnerSelection;
import io.meshcap.istio.UnrecognisedRule;
import io.meshcap.text.TextTable;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Collection;
import java.util.stream.Collectors;

/** Renders an {@link Inspection} for people: the model as a two-column table, then warnings, notes and leftovers. */
final class InspectionText {

    private static final String INDENT = "  ";

    private InspectionText() {
    }

    static void print(Inspection inspection, PrintWriter out) {
        InterceptionModel m = inspection.model();
        out.println("Interception rules of " + inspection.source());
        TextTable table = new TextTable();
        table.row("mode", mode(m));
        table.row("read from", m.backend().label() + " (" + m.backendDetail() + ")");
        if (m.mode() != InterceptionMode.NONE) {
            table.row("outbound redirect", m.interceptsOutbound() ? "port " + m.outboundRedirectPort()
                    + (m.outboundCapturesAll() ? " (all destinations not excluded)" : " (only the included destinations)")
                    : "none");
            table.row("inbound redirect", m.interceptsInbound() ? "port " + m.inboundRedirectPort()
                    + (m.inboundCapturesAllPorts() ? " (all ports not excluded)" : " (only the included ports)") : "none");
            table.row("inbound lo source", loopback(m.inboundLoopbackSource()));
            table.row("proxy uids / gids", list(m.proxyUids()) + " / " + list(m.proxyGids()));
            table.row("proxy socket mark", m.proxyMark());
            table.row("TPROXY mark", m.tproxyMark());
            table.row("HBONE port", m.hboneTunnelPort());
            table.row("inbound excluded", list(m.inboundExcludedPorts()));
            table.row("inbound included", list(m.inboundIncludedPorts()));
            table.row("outbound excluded", join(list(m.outboundExcludedCidrs()), ports(m.outboundExcludedPorts())));
            table.row("outbound included", join(list(m.outboundIncludedCidrs()), ports(m.outboundIncludedPorts())));
            table.row("outbound owners", owners(m.outboundOwners()));
            table.row("DNS capture", m.capturesDns() ? "port " + IstioDefaults.DNS_PORT + " -> " + m.dnsRedirectPort()
                    + (m.dnsResolvers().isEmpty() ? " (every server)" : " (only to " + list(m.dnsResolvers()) + ")") : "off");
            table.row("excluded interfaces", list(m.excludedInterfaces()));
            table.row("rerouted interfaces", m.reroutedInterfaces().isEmpty() ? "-" : m.reroutedInterfaces().stream()
                    .map(r -> r.name() + (r.allDestinations() ? "" : " (to " + list(r.destinations()) + ")"))
                    .collect(Collectors.joining(", ")) + " -> outbound port");
            table.row("drop INVALID", m.dropsInvalid() ? "yes (conntrack INVALID packets dropped in PREROUTING)" : "no");
        }
        table.row("ephemeral ports", inspection.ephemeralPortRange() + " (" + inspection.ephemeralPortRangeOrigin() + ")");
        table.print(out, INDENT);
        section(out, "Warnings", inspection.advice().stream().filter(a -> a.level() == Advice.Level.WARNING)
                .map(Advice::text).toList());
        section(out, "Notes", concat(inspection.advice().stream().filter(a -> a.level() == Advice.Level.NOTE)
                .map(Advice::text).toList(), m.notes(), inspection.collectionNotes()));
        section(out, "Rules not understood", m.unrecognised().stream().map(UnrecognisedRule::toString).toList());
    }

    private static String mode(InterceptionModel m) {
        return switch (m.mode()) {
            case REDIRECT -> "REDIRECT (sidecar: " + directions(m, "nat REDIRECT inbound and outbound",
                    "nat REDIRECT inbound only", "nat REDIRECT outbound only") + ")";
            case TPROXY -> "TPROXY (sidecar: " + directions(m, "mangle TPROXY inbound, REDIRECT outbound",
                    "mangle TPROXY inbound only", "REDIRECT outbound only") + ")";
            case AMBIENT -> "AMBIENT (ztunnel in-pod rules)";
            case NONE -> "none (no Istio interception rules found)";
        };
    }

    /** Only the directions the rules really intercept: a rule out of order or a missing redirect drops one. */
    private static String directions(InterceptionModel m, String both, String inboundOnly, String outboundOnly) {
        if (m.interceptsInbound()) {
            return m.interceptsOutbound() ? both : inboundOnly;
        }
        return m.interceptsOutbound() ? outboundOnly : "neither direction is intercepted";
    }

    private static String owners(OwnerSelection owners) {
        if (!owners.selects()) {
            return "all (no owner selection)";
        }
        StringBuilder text = new StringBuilder();
        append(text, "only groups ", owners.onlyGroups());
        append(text, "only users ", owners.onlyUsers());
        append(text, "except groups ", owners.exemptGroups());
        append(text, "except users ", owners.exemptUsers());
        return text.toString();
    }

    private static void append(StringBuilder text, String label, Collection<Long> ids) {
        if (!ids.isEmpty()) {
            text.append(text.length() == 0 ? "" : "; ").append(label).append(list(ids));
        }
    }

    private static String loopback(LoopbackSource source) {
        return switch (source) {
            case ENVOY_BIND_ADDRESS -> source.address(false) + " / " + source.address(true) + " (the proxy's bind address)";
            case ORIGINAL_CLIENT -> "the real client address (transparent proxying)";
            case NONE -> "none (no inbound interception)";
        };
    }

    private static void section(PrintWriter out, String title, Collection<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        out.println();
        out.println(title);
        lines.forEach(line -> out.println(INDENT + "- " + line));
    }

    @SafeVarargs
    private static Collection<String> concat(Collection<String>... parts) {
        return Arrays.stream(parts).flatMap(Collection::stream).toList();
    }

    private static String list(Collection<?> values) {
        return values.isEmpty() ? "-" : values.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static String ports(Collection<Integer> ports) {
        return ports.isEmpty() ? "-" : "ports " + list(ports);
    }

    private static String join(String cidrs, String ports) {
        if (cidrs.equals("-")) {
            return ports;
        }
        return ports.equals("-") ? cidrs : cidrs + "; " + ports;
    }
}
