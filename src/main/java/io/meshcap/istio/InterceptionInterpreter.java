package io.meshcap.istio;

import io.meshcap.istio.NetfilterRule.Key;
import io.meshcap.istio.NetfilterRule.Match;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns normalised rules into an {@link InterceptionModel}. Each rule is matched against the shapes
 * {@code istio-iptables}, {@code istio-nftables} and istio-cni's ambient in-pod mode write; a rule that fits
 * none of them is reported with its line, never skipped. A rule's effects are staged while it is read and reach
 * the model only once the whole rule is recognised, so a rule reported as not understood changes nothing. Rules
 * the kernel never applies ({@link ChainOrder}: after a rule that takes all their packets, or in a chain no built-in
 * chain jumps to) are reported and not read.
 */
final class InterceptionInterpreter {

    private static final Set<String> ENVOY_SOURCES = Set.of(
            IstioDefaults.ENVOY_INBOUND_SOURCE_V4 + "/32", IstioDefaults.ENVOY_INBOUND_SOURCE_V6 + "/128");
    private static final String LOOPBACK_INTERFACE = "lo";
    private static final String INVALID = "invalid";

    // What the rules said, filled in rule by rule.
    private Integer outboundPort;
    private Integer inboundPort;
    private Integer hbonePort;
    private Integer dnsPort;
    private boolean dnsToEveryServer;
    private SocketMark proxyMark;
    private SocketMark tproxyMark;
    private boolean inboundAll;
    private boolean outboundAll;
    private boolean sawRedirect;
    private boolean sawTproxy;
    private boolean sawAmbient;
    private boolean dropsInvalid;
    private final SortedSet<Integer> inboundExcluded = new TreeSet<>();
    private final SortedSet<Integer> inboundIncluded = new TreeSet<>();
    private final SortedSet<Integer> outboundExcluded = new TreeSet<>();
    private final SortedSet<Integer> outboundIncluded = new TreeSet<>();
    private final List<String> excludedCidrs = new ArrayList<>();
    private final List<String> includedCidrs = new ArrayList<>();
    private final List<String> dnsResolvers = new ArrayList<>();
    private final SocketOwners owners = new SocketOwners();
    /** Interfaces with a RETURN of their own in a built-in chain. */
    private final List<String> skippedInterfaces = new ArrayList<>();
    /** Interfaces rerouted to the outbound port, each with the destinations (empty: all). */
    private final Map<String, List<String>> rerouted = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    /** The effects of the rule being read, applied only when all of it fits a known shape. */
    private final List<Runnable> staged = new ArrayList<>();

    private InterceptionInterpreter() {
    }

    static InterceptionModel interpret(List<NetfilterRule> rules, RuleBackend backend, String detail,
            List<UnrecognisedRule> unrecognised, List<String> notes) {
        InterceptionInterpreter reader = new InterceptionInterpreter();
        reader.notes.addAll(notes);
        List<UnrecognisedRule> notUnderstood = new ArrayList<>(unrecognised);
        List<ShadowingRule> shadowing = ChainOrder.shadowing(rules);
        Set<Integer> neverApply = shadowing.stream().flatMap(s -> s.shadowedLines().stream()).collect(Collectors.toSet());
        Set<Integer> neverWalked = new HashSet<>();
        for (ChainOrder.UnreachedChain chain : ChainOrder.unreached(rules, neverApply)) {
            neverWalked.addAll(chain.lines());
            reader.notes.add(lines(chain.lines()) + ": no built-in chain of the " + chain.table() + " table jumps to "
                    + chain.chain() + ", so the kernel never applies its rules; they are not read");
        }
        for (NetfilterRule rule : rules) {
            if (neverApply.contains(rule.line())) {
                // The kernel never gets to it, so it says nothing about what happens to traffic.
                continue;
            }
            String problem = reader.apply(rule, !neverWalked.contains(rule.line()));
            if (problem != null) {
                notUnderstood.add(new UnrecognisedRule(rule.line(), rule.text(), problem));
            }
        }
        notUnderstood.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return reader.model(backend, detail, notUnderstood, shadowing);
    }

    private static String lines(List<Integer> lines) {
        return lines.size() == 1 ? "line " + lines.get(0) : "lines " + lines.get(0) + "-" + lines.get(lines.size() - 1);
    }

    /**
     * Reads one rule and commits its effects if it fits and {@code applies} (a rule in a chain the kernel never walks
     * is still checked, so an unknown shape is reported, but changes nothing); returns why it did not fit, or null.
     */
    private String apply(NetfilterRule rule, boolean applies) {
        staged.clear();
        String problem;
        try {
            problem = read(rule);
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
        }
        if (problem == null && applies) {
            staged.forEach(Runnable::run);
        }
        return problem;
    }

    private void stage(Runnable effect) {
        staged.add(effect);
    }

    /** Reads one rule, staging what it means; returns why it did not fit, or null. */
    private String read(NetfilterRule rule) {
        String chain = rule.chain();
        if (ChainOrder.BUILT_IN_CHAINS.contains(chain)) {
            return builtIn(rule);
        }
        return switch (chain) {
            case "ISTIO_INBOUND" -> inbound(rule);
            case "ISTIO_IN_REDIRECT" -> redirect(rule, true);
            case "ISTIO_REDIRECT" -> redirect(rule, false);
            case "ISTIO_OUTPUT" -> output(rule);
            case "ISTIO_OUTPUT_DNS" -> dns(rule);
            case "ISTIO_TPROXY" -> tproxy(rule);
            case "ISTIO_DIVERT" -> divert(rule);
            case "ISTIO_DROP" -> rule.target().equals("DROP") && rule.matches().isEmpty() ? null
                    : "ISTIO_DROP rule of a shape Istio does not write";
            // istio-cni's ambient chain: ISTIO_PRERT in iptables, istio-prerouting in nftables.
            case "ISTIO_PRERT", "ISTIO_PREROUTING" -> ambientPrerouting(rule);
            default -> chain.startsWith("ISTIO_") ? "Istio chain " + chain + " is not one meshcap knows"
                    : "rule in chain " + chain + ", which Istio does not write: it may change what the proxy sees";
        };
    }

    private String builtIn(NetfilterRule rule) {
        String target = rule.target();
        String in = rule.positive(Key.IN_INTERFACE);
        String out = rule.positive(Key.OUT_INTERFACE);
        // istio-iptables --kube-virt-interfaces: a VM's traffic entering on IF goes to the outbound port.
        if (target.equals("ISTIO_REDIRECT") && rule.chain().equals("PREROUTING") && in != null
                && rule.onlyHas(Key.IN_INTERFACE, Key.DESTINATION)) {
            String destination = rule.positive(Key.DESTINATION);
            if (rule.has(Key.DESTINATION) && destination == null) {
                return "rerouting rule with a negated destination, which Istio does not write";
            }
            stage(() -> {
                List<String> destinations = rerouted.computeIfAbsent(in, name -> new ArrayList<>());
                if (destination != null) {
                    destinations.add(RuleAddresses.cidr(destination));
                }
            });
            return null;
        }
        // drop-invalid: conntrack-INVALID packets are dropped, directly or through ISTIO_DROP.
        if ((target.equals("DROP") || target.equals("ISTIO_DROP")) && rule.onlyHas(Key.CT_STATE, Key.PROTOCOL)
                && INVALID.equalsIgnoreCase(rule.positive(Key.CT_STATE))) {
            stage(() -> dropsInvalid = true);
            return null;
        }
        if (target.startsWith("ISTIO_")) {
            return null;
        }
        if (target.equals("RETURN") && rule.matches().size() == 1 && (in != null || out != null)) {
            String name = in != null ? in : out;
            stage(() -> {
                if (!skippedInterfaces.contains(name)) {
                    skippedInterfaces.add(name);
                }
            });
            return null;
        }
        // TPROXY mode's mangle plumbing: keep the mark on the connection and tag the proxy's own loopback traffic.
        if (rule.table().equals("mangle")) {
            if (target.equals("CONNMARK") && (rule.has(Key.MARK) || rule.has(Key.CONNMARK))) {
                return null;
            }
            if (target.equals("RETURN") && rule.has(Key.MARK)) {
                return null;
            }
            if (target.equals("MARK") && SocketOwners.named(rule)) {
                stage(owners.proxy(rule));
                return null;
            }
        }
        return "rule in built-in chain " + rule.chain() + " that Istio does not write";
    }

    private String inbound(NetfilterRule rule) {
        String target = rule.target();
        boolean toProxy = target.equals("ISTIO_IN_REDIRECT") || target.equals("ISTIO_TPROXY");
        String ports = rule.positive(Key.DESTINATION_PORTS);
        if (rule.table().equals("raw") && target.equals("CT")) {
            return null;
        }
        if (target.equals("RETURN") && ports != null && rule.onlyHas(Key.PROTOCOL, Key.DESTINATION_PORTS)) {
            List<Integer> excluded = ports(ports);
            stage(() -> inboundExcluded.addAll(excluded));
            return null;
        }
        if (toProxy && ports != null && rule.onlyHas(Key.PROTOCOL, Key.DESTINATION_PORTS)) {
            List<Integer> included = ports(ports);
            stage(() -> inboundIncluded.addAll(included));
            return null;
        }
        if (toProxy && rule.onlyHas(Key.PROTOCOL)) {
            stage(() -> inboundAll = true);
            return null;
        }
        // TPROXY plumbing: already-marked and proxy-originated packets return, established ones divert.
        if (target.equals("RETURN") && (rule.has(Key.MARK) || envoySource(rule))) {
            return null;
        }
        if (target.equals("ISTIO_DIVERT") && rule.has(Key.CT_STATE)) {
            return null;
        }
        return "inbound rule of a shape Istio does not write";
    }

    private String redirect(NetfilterRule rule, boolean inbound) {
        if (!rule.target().equals("REDIRECT") || rule.targetPort() == 0) {
            return "expected a REDIRECT with a port";
        }
        stage(() -> {
            sawRedirect = true;
            if (inbound) {
                inboundPort = agree(inboundPort, rule.targetPort(), "inbound redirect port");
            } else {
                outboundPort = agree(outboundPort, rule.targetPort(), "outbound redirect port");
            }
        });
        return null;
    }

    private String output(NetfilterRule rule) {
        String target = rule.target();
        if (SocketOwners.named(rule)) {
            return ownerRule(rule);
        }
        if (rule.table().equals("mangle") && target.equals("CONNMARK")) {
            return null;
        }
        if (rule.table().equals("raw") && target.equals("CT")) {
            return null;
        }
        if (target.equals("REDIRECT")) {
            return outputRedirect(rule);
        }
        if (target.equals("ISTIO_OUTPUT_DNS")) {
            return null;
        }
        String destination = rule.positive(Key.DESTINATION);
        String ports = rule.positive(Key.DESTINATION_PORTS);
        if (target.equals("RETURN")) {
            if (envoySource(rule) || rule.matches().isEmpty()) {
                return null;
            }
            if (destination != null && rule.onlyHas(Key.DESTINATION)) {
                if (!RuleAddresses.loopback(destination)) {
                    stage(() -> excludedCidrs.add(RuleAddresses.cidr(destination)));
                }
                return null;
            }
            if (ports != null && rule.onlyHas(Key.PROTOCOL, Key.DESTINATION_PORTS)) {
                List<Integer> excluded = ports(ports);
                stage(() -> outboundExcluded.addAll(excluded));
                return null;
            }
        }
        if (target.equals("ISTIO_REDIRECT")) {
            if (rule.matches().isEmpty()) {
                stage(() -> outboundAll = true);
                return null;
            }
            if (destination != null && rule.onlyHas(Key.DESTINATION)) {
                stage(() -> includedCidrs.add(RuleAddresses.cidr(destination)));
                return null;
            }
            if (ports != null && rule.onlyHas(Key.PROTOCOL, Key.DESTINATION_PORTS)) {
                List<Integer> included = ports(ports);
                stage(() -> outboundIncluded.addAll(included));
                return null;
            }
        }
        // Ambient lets the node's probes, ztunnel's marked connections and loopback through untouched.
        if (target.equals("ACCEPT") && (rule.has(Key.MARK) || destination != null
                || LOOPBACK_INTERFACE.equals(rule.positive(Key.OUT_INTERFACE)))) {
            return null;
        }
        return "outbound rule of a shape Istio does not write";
    }

    /**
     * An owner match in ISTIO_OUTPUT: the proxy's own rules (its self-call redirect, its loopback RETURN), or the
     * applications' selection by owner (only some groups or users, or some exempt).
     */
    private String ownerRule(NetfilterRule rule) {
        String target = rule.target();
        Match uid = rule.get(Key.UID_OWNER);
        Match gid = rule.get(Key.GID_OWNER);
        boolean negated = (uid != null && uid.negated()) || (gid != null && gid.negated());
        boolean ownersOnly = rule.onlyHas(Key.UID_OWNER, Key.GID_OWNER);
        if (target.equals("ISTIO_IN_REDIRECT") && !negated
                || target.equals("RETURN") && LOOPBACK_INTERFACE.equals(rule.positive(Key.OUT_INTERFACE))
                || target.equals("ACCEPT") || target.equals("CT")) {
            stage(owners.proxy(rule));
            return null;
        }
        if (target.equals("RETURN") && ownersOnly) {
            stage(negated ? owners.only(rule) : owners.returned(rule));
            return null;
        }
        return "proxy-owner rule with an unexpected target " + target;
    }

    /** REDIRECT straight from ISTIO_OUTPUT: ambient's outbound capture, or DNS capture without its own chain. */
    private String outputRedirect(NetfilterRule rule) {
        if (isDns(rule)) {
            dnsRedirect(rule);
            return null;
        }
        Match mark = rule.get(Key.MARK);
        if (mark != null && mark.negated()) {
            SocketMark ztunnel = SocketMark.parse(mark.value());
            stage(() -> {
                sawAmbient = true;
                proxyMark = ztunnel;
                outboundAll = true;
                outboundPort = agree(outboundPort, rule.targetPort(), "outbound redirect port");
            });
            return null;
        }
        return "REDIRECT in ISTIO_OUTPUT that is neither DNS nor ambient capture";
    }

    private String dns(NetfilterRule rule) {
        if (rule.target().equals("REDIRECT") && isDns(rule)) {
            dnsRedirect(rule);
            return null;
        }
        // The proxy's own queries go out untouched, in their own conntrack zone.
        if (SocketOwners.named(rule) && (rule.target().equals("RETURN") || rule.target().equals("CT"))) {
            stage(owners.proxy(rule));
            return null;
        }
        if (rule.table().equals("raw") && rule.target().equals("CT")) {
            return null;
        }
        return "DNS rule of a shape Istio does not write";
    }

    /** A DNS redirect: to the listed resolvers only (a destination per resolver), or to every server. */
    private void dnsRedirect(NetfilterRule rule) {
        String resolver = rule.positive(Key.DESTINATION);
        stage(() -> {
            dnsPort = agree(dnsPort, rule.targetPort(), "DNS redirect port");
            if (resolver == null) {
                dnsToEveryServer = true;
            } else if (!dnsResolvers.contains(RuleAddresses.host(resolver))) {
                dnsResolvers.add(RuleAddresses.host(resolver));
            }
        });
    }

    private String tproxy(NetfilterRule rule) {
        if (!rule.target().equals("TPROXY") || rule.targetPort() == 0) {
            return "expected a TPROXY with a port";
        }
        SocketMark mark = rule.targetMark() != null ? SocketMark.parse(rule.targetMark()) : null;
        stage(() -> {
            sawTproxy = true;
            inboundPort = agree(inboundPort, rule.targetPort(), "inbound TPROXY port");
            if (mark != null) {
                tproxyMark = mark;
            }
        });
        return null;
    }

    private String divert(NetfilterRule rule) {
        return rule.target().equals("MARK") || rule.target().equals("ACCEPT") ? null
                : "ISTIO_DIVERT rule of a shape Istio does not write";
    }

    private String ambientPrerouting(NetfilterRule rule) {
        stage(() -> sawAmbient = true);
        String target = rule.target();
        if (target.equals("CONNMARK") && rule.positive(Key.MARK) != null) {
            SocketMark mark = SocketMark.parse(rule.positive(Key.MARK));
            stage(() -> proxyMark = mark);
            return null;
        }
        if (target.equals("ACCEPT") || (rule.table().equals("raw") && target.equals("CT"))) {
            return null;
        }
        if (target.equals("REDIRECT") && rule.targetPort() != 0) {
            // nftables ambient redirects inbound instead of TPROXY, and lets HBONE through to ztunnel's own port.
            Match ports = rule.get(Key.DESTINATION_PORTS);
            List<Integer> passed = ports != null && ports.negated() ? ports(ports.value()) : List.of();
            stage(() -> {
                inboundAll = true;
                inboundPort = agree(inboundPort, rule.targetPort(), "inbound redirect port");
                if (passed.size() == 1) {
                    hbonePort = agree(hbonePort, passed.get(0), "HBONE port");
                }
            });
            return null;
        }
        if (target.equals("TPROXY") && rule.targetPort() != 0) {
            SocketMark mark = rule.targetMark() != null ? SocketMark.parse(rule.targetMark()) : null;
            String ports = rule.positive(Key.DESTINATION_PORTS);
            boolean hbone = ports != null && ports(ports).equals(List.of(IstioDefaults.HBONE_PORT));
            stage(() -> {
                if (mark != null) {
                    tproxyMark = mark;
                }
                if (hbone) {
                    hbonePort = agree(hbonePort, rule.targetPort(), "HBONE port");
                } else {
                    inboundAll = true;
                    inboundPort = agree(inboundPort, rule.targetPort(), "inbound TPROXY port");
                }
            });
            return null;
        }
        return "ambient prerouting rule of a shape istio-cni does not write";
    }

    private static boolean isDns(NetfilterRule rule) {
        String ports = rule.positive(Key.DESTINATION_PORTS);
        return ports != null && ports(ports).equals(List.of(IstioDefaults.DNS_PORT));
    }

    private static boolean envoySource(NetfilterRule rule) {
        String source = rule.positive(Key.SOURCE);
        return source != null && ENVOY_SOURCES.contains(RuleAddresses.cidr(source));
    }

    /** A value that differs between rules (say IPv4 and IPv6) is kept from the first and noted. */
    private Integer agree(Integer known, int found, String what) {
        if (known != null && known != found) {
            notes.add("rules disagree on the " + what + ": " + known + " and " + found + "; using " + known);
            return known;
        }
        return found;
    }

    private static List<Integer> ports(String list) {
        List<Integer> ports = new ArrayList<>();
        for (String part : list.split(",")) {
            try {
                ports.add(Integer.parseInt(part.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port list with something other than ports: " + list);
            }
        }
        return ports;
    }

    private InterceptionModel model(RuleBackend backend, String detail, List<UnrecognisedRule> unrecognised,
            List<ShadowingRule> shadowing) {
        InterceptionMode mode = sawAmbient ? InterceptionMode.AMBIENT
                : sawTproxy ? InterceptionMode.TPROXY
                : sawRedirect ? InterceptionMode.REDIRECT
                : InterceptionMode.NONE;
        // A jump to a chain with no redirect in it returns the packets untouched: that direction is not intercepted.
        if (mode != InterceptionMode.NONE && outboundPort == null
                && (outboundAll || !includedCidrs.isEmpty() || !outboundIncluded.isEmpty())) {
            notes.add("outbound rules send traffic on to the proxy, but no rule redirects it to a port: outbound traffic"
                    + " is not intercepted");
        }
        if (mode != InterceptionMode.NONE && inboundPort == null && (inboundAll || !inboundIncluded.isEmpty())) {
            notes.add("inbound rules send traffic on to the proxy, but no rule redirects it to a port: inbound traffic"
                    + " is not intercepted");
        }
        return new InterceptionModel(
                mode == InterceptionMode.NONE ? RuleBackend.NONE : backend,
                detail,
                mode,
                outboundPort,
                inboundPort,
                hbonePort,
                inboundAll,
                inboundExcluded,
                inboundIncluded,
                outboundAll,
                excludedCidrs,
                includedCidrs,
                outboundExcluded,
                outboundIncluded,
                owners.proxyUids(),
                owners.proxyGids(),
                owners.selection(),
                proxyMark,
                tproxyMark,
                dnsPort,
                dnsToEveryServer ? List.of() : dnsResolvers,
                // A rerouted interface's RETURN only lets its other traffic past: it is not an excluded interface.
                skippedInterfaces.stream().filter(name -> !rerouted.containsKey(name)).toList(),
                rerouted.entrySet().stream().map(e -> new ReroutedInterface(e.getKey(), e.getValue())).toList(),
                dropsInvalid,
                unrecognised,
                shadowing,
                notes);
    }
}
