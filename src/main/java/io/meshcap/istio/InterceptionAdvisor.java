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
            advice.add(Advice.warning("line " + shadowing.line() + " (" + shadowing.text() + ") takes every packet that"
                    + " reaches it in " + shadowing.chain() + ", so the rule(s) after it on line(s) "
                    + shadowing.shadowedLines().stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + " never apply; what follows is read without them"));
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
        if (model.capturesDns()) {
            advice.add(Advice.note("DNS capture is on: queries to port " + IstioDefaults.DNS_PORT + " go to the DNS proxy"
                    + " (pilot-agent, or ztunnel in ambient mode) on port " + model.dnsRedirectPort() + " and show on lo, not eth0"));
        }
        if (!model.excludedInterfaces().isEmpty()) {
            advice.add(Advice.warning("traffic on " + String.join(", ", model.excludedInterfaces())
                    + " bypasses the proxy entirely: capture it there, in plaintext, with no lo leg"));
        }
        return advice;
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
        boolean defaultOwner = model.proxyUids().equals(Set.of(IstioDefaults.PROXY_UID))
                || model.proxyUids().isEmpty();
        if (!defaultOwner) {
            advice.add(Advice.note("the proxy runs as uid " + join(model.proxyUids()) + " (not "
                    + IstioDefaults.PROXY_UID + "); a stand-in proxy must use it for the owner match to see it"));
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

    private static String join(Set<? extends Number> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
