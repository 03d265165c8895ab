package io.meshcap.istio;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Explains what an {@link InterceptionModel} means for captures: which legs will not exist and which addresses
 * differ from the textbook sidecar. What the ephemeral range means for a filter is the filter's caveat
 * ({@link io.meshcap.plan.FilterNotes}), since it depends on the ports the filter is given, not on the rules.
 */
public final class InterceptionAdvisor {

    private static final String SIDECAR = "sidecar";

    private InterceptionAdvisor() {
    }

    public static List<Advice> advise(InterceptionModel model, PortGuide guide) {
        List<Advice> advice = new ArrayList<>();
        if (!model.unrecognised().isEmpty()) {
            advice.add(Advice.warning(model.unrecognised().size() + " line(s) of the rules were not understood (lines "
                    + model.unrecognised().stream().map(u -> String.valueOf(u.line())).collect(Collectors.joining(", "))
                    + "); what follows may miss what they do"));
        }
        for (ShadowingRule shadowing : model.shadowingRules()) {
            advice.add(Advice.warning("line " + shadowing.line() + " (" + shadowing.text() + ") in " + shadowing.chain()
                    + " takes every packet that the rule(s) after it on line(s) "
                    + shadowing.shadowedLines().stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + " would match, so those never apply; what follows is read without them"));
        }
        switch (model.mode()) {
            case NONE -> advice.add(Advice.warning("no Istio interception rules found: this is not a sidecar or ambient pod's"
                    + " namespace, or the rules live in a back end that was not collected (iptables-legacy-save,"
                    + " iptables-nft-save, nft list ruleset)"));
            case TPROXY -> advice.add(Advice.warning("TPROXY mode: the proxy connects to the app with the real client address,"
                    + " so the inbound lo leg shows CLIENT:port -> POD_IP:port, not " + IstioDefaults.ENVOY_INBOUND_SOURCE_V4));
            case AMBIENT -> advice.add(Advice.warning("ambient mode: ztunnel (socket mark " + model.proxyMark() + ") carries"
                    + " traffic as HBONE, TLS to port " + model.hboneTunnelPortOrDefault() + " on eth0 (ALPN h2, no SNI);"
                    + " many app connections share one tunnel per identity pair, so eth0 and lo legs cannot be paired"
                    + " one to one. ztunnel's listeners have no owning process inside the pod"));
            case REDIRECT -> {
                // The textbook case; only the deviations below need saying.
            }
        }
        if (model.backend() == RuleBackend.NFTABLES) {
            advice.add(Advice.note("native nftables mode: iptables-save shows nothing here; the rules were read from"
                    + " nft list ruleset (" + model.backendDetail() + ")"));
        }
        if (model.mode() == InterceptionMode.NONE) {
            return advice;
        }
        portDeviations(model, advice);
        inbound(model, guide, advice);
        outbound(model, advice);
        owners(model.outboundOwners(), advice);
        dns(model, advice);
        if (!model.excludedInterfaces().isEmpty()) {
            advice.add(Advice.warning("traffic on " + String.join(", ", model.excludedInterfaces())
                    + " bypasses the proxy entirely: capture it there, in plaintext, with no lo leg"));
        }
        model.reroutedInterfaces().forEach(rerouted -> advice.add(rerouted(rerouted, model)));
        if (model.dropsInvalid()) {
            advice.add(Advice.note("packets conntrack finds INVALID (out of window, say) are dropped in PREROUTING"
                    + " (Istio's drop-invalid): eth0 captures still show them, since eth0 sees received packets before"
                    + " netfilter, but they never reach the proxy, the app or a lo leg"));
        }
        return advice;
    }

    private static void dns(InterceptionModel model, List<Advice> advice) {
        if (!model.capturesDns()) {
            return;
        }
        String proxy = " go to the DNS proxy (pilot-agent, or ztunnel in ambient mode) on port " + model.dnsRedirectPort()
                + " and show on lo, not eth0";
        if (model.dnsResolvers().isEmpty()) {
            advice.add(Advice.note("DNS capture is on: queries to port " + IstioDefaults.DNS_PORT + " of every server" + proxy));
        } else {
            advice.add(Advice.note("DNS capture is on for the pod's resolvers " + String.join(", ", model.dnsResolvers())
                    + ": queries to them" + proxy + "; queries to any other server leave eth0 directly"));
        }
    }

    /** Owner-based selection: whose calls never reach the proxy, and so have no lo leg. */
    private static void owners(OwnerSelection owners, List<Advice> advice) {
        String bypass = " leave eth0 directly from their own port, in plaintext, with no lo leg (and their DNS is not"
                + " captured either); the proxy's own uid and gid are not affected";
        if (!owners.onlyGroups().isEmpty() || !owners.onlyUsers().isEmpty()) {
            advice.add(Advice.warning("outbound capture covers only sockets of " + owners(owners.onlyGroups(), owners.onlyUsers())
                    + " (ISTIO_OUTBOUND_OWNER_GROUPS / _USERS): other processes' calls" + bypass));
        }
        if (!owners.exemptGroups().isEmpty() || !owners.exemptUsers().isEmpty()) {
            advice.add(Advice.warning("sockets of " + owners(owners.exemptGroups(), owners.exemptUsers())
                    + " are exempt from outbound capture (ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE / _USERS_EXCLUDE): their calls"
                    + bypass));
        }
    }

    private static String owners(Set<Long> groups, Set<Long> users) {
        List<String> parts = new ArrayList<>();
        if (!groups.isEmpty()) {
            parts.add("group(s) " + join(groups));
        }
        if (!users.isEmpty()) {
            parts.add("user(s) " + join(users));
        }
        return String.join(" and ", parts);
    }

    /** A KubeVirt interface: its traffic is the VM's outbound calls, seen on that interface, never on lo. */
    private static Advice rerouted(ReroutedInterface rerouted, InterceptionModel model) {
        String what = rerouted.allDestinations() ? "traffic arriving on " + rerouted.name()
                : "traffic arriving on " + rerouted.name() + " for " + String.join(", ", rerouted.destinations());
        String port = model.outboundRedirectPort() != null ? "port " + model.outboundRedirectPort() : "outbound port";
        return Advice.warning(what + " is rerouted to the proxy's outbound " + port + " (a KubeVirt VM's interface): these"
                + " are the VM's own outbound calls. Capture them on " + rerouted.name() + ", where they show with their"
                + " original destination; they never appear on lo, so outbound-plain misses them, and the proxy's"
                + " connection onwards is on eth0 like any outbound call (outbound-mtls)"
                + (rerouted.allDestinations() ? "" : "; other traffic on " + rerouted.name() + " bypasses the proxy"));
    }

    private static void portDeviations(InterceptionModel model, List<Advice> advice) {
        if (model.interceptsOutbound() && model.outboundRedirectPort() != IstioDefaults.OUTBOUND_CAPTURE_PORT) {
            advice.add(Advice.warning("outbound traffic is redirected to port " + model.outboundRedirectPort() + ", not "
                    + IstioDefaults.OUTBOUND_CAPTURE_PORT + ": the outbound lo leg uses that port"));
        }
        if (model.interceptsInbound() && model.inboundRedirectPort() != IstioDefaults.INBOUND_CAPTURE_PORT) {
            advice.add(Advice.note("inbound traffic goes to port " + model.inboundRedirectPort() + ", not "
                    + IstioDefaults.INBOUND_CAPTURE_PORT));
        }
        if (!isDefault(model.proxyUids())) {
            advice.add(Advice.note("the proxy runs as uid " + join(model.proxyUids()) + " (not "
                    + IstioDefaults.PROXY_UID + "); a stand-in proxy must use it for the owner match to see it"));
        }
        if (!isDefault(model.proxyGids()) && !model.proxyGids().equals(model.proxyUids())) {
            advice.add(Advice.note("the rules also exempt gid " + join(model.proxyGids()) + " as the proxy's (not "
                    + IstioDefaults.PROXY_UID + "): any process of that group bypasses the proxy like the proxy itself"));
        }
    }

    private static void inbound(InterceptionModel model, PortGuide guide, List<Advice> advice) {
        if (!model.interceptsInbound()) {
            advice.add(Advice.warning("no inbound interception: inbound traffic reaches the app directly, in plaintext on"
                    + " eth0; there is no inbound lo leg"));
            return;
        }
        SortedSet<Integer> appPorts = model.inboundExcludedPorts().stream()
                .filter(p -> !guide.isOwnPort(SIDECAR, p))
                .collect(Collectors.toCollection(TreeSet::new));
        if (!appPorts.isEmpty()) {
            advice.add(Advice.warning("inbound port(s) " + join(appPorts) + " bypass the proxy: their eth0 leg is"
                    + " plaintext and there is no lo leg (inbound-plain will capture nothing)"));
        }
        if (!model.inboundCapturesAllPorts()) {
            advice.add(Advice.warning("only inbound port(s) " + join(model.inboundIncludedPorts())
                    + " go through the proxy; other ports reach the app directly"));
        }
    }

    private static void outbound(InterceptionModel model, List<Advice> advice) {
        if (!model.interceptsOutbound()) {
            advice.add(Advice.warning("no outbound interception: the app's calls leave eth0 directly from its own port,"
                    + " in plaintext; there is no outbound lo leg"));
            return;
        }
        if (!model.outboundExcludedCidrs().isEmpty()) {
            advice.add(Advice.warning("outbound traffic to " + String.join(", ", model.outboundExcludedCidrs())
                    + " bypasses the proxy: it leaves eth0 in plaintext from the app's own port, with no lo leg"));
        }
        if (!model.outboundExcludedPorts().isEmpty()) {
            advice.add(Advice.warning("outbound port(s) " + join(model.outboundExcludedPorts())
                    + " bypass the proxy: plaintext on eth0, no lo leg"));
        }
        if (!model.outboundCapturesAll()) {
            List<String> captured = new ArrayList<>(model.outboundIncludedCidrs());
            model.outboundIncludedPorts().forEach(p -> captured.add("port " + p));
            advice.add(Advice.warning("outbound capture is limited to " + String.join(", ", captured)
                    + "; everything else leaves eth0 directly"));
        }
    }

    private static boolean isDefault(Set<Long> ids) {
        return ids.isEmpty() || ids.equals(Set.of(IstioDefaults.PROXY_UID));
    }

    private static String join(Set<? extends Number> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
