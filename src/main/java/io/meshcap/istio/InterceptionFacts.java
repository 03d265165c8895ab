package io.meshcap.istio;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a target's interception rules say for capturing it: the proxy's uids and the outbound and inbound
 * redirect ports, and the uids whose sockets are the proxy's (not application ports). One piece of code for every
 * kind of target: a local namespace ({@code LocalDiscovery}) and a pod read through the Kubernetes API build their
 * {@code TargetFacts} from it, so both read the same rules the same way.
 *
 * @param model        the rules' model, or empty when no Istio rules could be read
 * @param ruleUids     the uids the rules exempt as the proxy's (empty when none were read)
 * @param outboundPort the outbound redirect port the rules name, or null
 * @param inboundPort  the inbound redirect port the rules name, or null
 * @param proxyUids    the socket owners taken for the proxy: the rules' uids, a given uid, else Istio's default
 * @param notes        what was read from the rules or assumed, in words for the user
 */
public record InterceptionFacts(Optional<InterceptionModel> model, List<Long> ruleUids, Integer outboundPort,
        Integer inboundPort, Set<Long> proxyUids, List<String> notes) {

    public InterceptionFacts {
        ruleUids = List.copyOf(ruleUids);
        proxyUids = Set.copyOf(proxyUids);
        notes = List.copyOf(notes);
    }

    /**
     * Reads {@code dump} (any mix of iptables-save and nft output, as {@link RuleDumpReader} takes it).
     *
     * @param where    the target, for the notes ("in shop/reviews-v1", "in meshcap-pod")
     * @param givenUid a uid the user gave for the proxy's, taken besides the rules' uids
     */
    public static InterceptionFacts read(String dump, String where, OptionalLong givenUid) {
        InterceptionModel model = RuleDumpReader.read(dump);
        List<String> notes = new ArrayList<>();
        if (model.mode() == InterceptionMode.NONE) {
            notes.add("no Istio interception rules in " + where);
            return of(Optional.empty(), givenUid, notes);
        }
        notes.add("from the " + model.mode().name().toLowerCase(Locale.ROOT) + " rules in " + where
                + ": " + redirect("outbound", model.outboundRedirectPort())
                + ", " + redirect("inbound", model.inboundRedirectPort())
                + (model.proxyUids().isEmpty() ? ", no proxy uid" : ", proxy uid " + joined(model.proxyUids())));
        return of(Optional.of(model), givenUid, notes);
    }

    /** No rules to go by ({@code reason} says why): Istio's defaults are assumed, and said so. */
    public static InterceptionFacts unreadable(String reason, OptionalLong givenUid) {
        List<String> notes = new ArrayList<>();
        notes.add("cannot read the interception rules: " + reason);
        return of(Optional.empty(), givenUid, notes);
    }

    private static InterceptionFacts of(Optional<InterceptionModel> model, OptionalLong givenUid, List<String> notes) {
        List<Long> ruleUids = model.map(m -> List.copyOf(m.proxyUids())).orElse(List.of());
        Set<Long> proxyUids = new TreeSet<>(ruleUids);
        givenUid.ifPresent(proxyUids::add);
        if (proxyUids.isEmpty()) {
            proxyUids.add(IstioDefaults.PROXY_UID);
            notes.add("assuming proxy uid " + IstioDefaults.PROXY_UID + " (Istio's default) for the proxy's sockets");
        }
        return new InterceptionFacts(model, ruleUids, model.map(InterceptionModel::outboundRedirectPort).orElse(null),
                model.map(InterceptionModel::inboundRedirectPort).orElse(null), proxyUids, notes);
    }

    /**
     * The application's listening TCP ports among {@code sockets}: not the proxy's uids, not bound to loopback only
     * (the proxy's admin ports, which no inbound call reaches); sorted, each once.
     */
    public List<Integer> applicationPorts(List<ListeningSocket> sockets) {
        return sockets.stream()
                .filter(socket -> socket.tcp() && !proxyUids.contains(socket.uid()) && !socket.loopbackOnly())
                .map(ListeningSocket::port)
                .collect(Collectors.toCollection(TreeSet::new))
                .stream().toList();
    }

    /** The proxy's uids as a list for messages: "1337" or "1337, 201507". */
    public String proxyUidList() {
        return joined(new TreeSet<>(proxyUids));
    }

    private static String redirect(String direction, Integer port) {
        return port != null ? direction + " redirect port " + port : "no " + direction + " redirect";
    }

    private static String joined(Collection<Long> uids) {
        return uids.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
