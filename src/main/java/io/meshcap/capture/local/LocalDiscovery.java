package io.meshcap.capture.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.MeshcapException;
import io.meshcap.istio.InterceptionMode;
import io.meshcap.istio.InterceptionModel;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.istio.ListeningSocket;
import io.meshcap.istio.LiveNamespaceReader;
import io.meshcap.istio.RuleDumpReader;
import io.meshcap.istio.SsParser;
import io.meshcap.net.Addresses;
import io.meshcap.plan.PortRange;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.net.InetAddress;
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
 * Reads a local network namespace's facts the way an operator would from a shell inside it: the pod address on
 * eth0 ({@code ip -j addr}), the application's listening ports ({@code ss}, read by {@link LiveNamespaceReader},
 * leaving out the proxy's own sockets), the ephemeral port range ({@code ip_local_port_range}), and from the
 * interception rules, the proxy's uids and the outbound and inbound redirect ports.
 */
public final class LocalDiscovery {

    /** The pod's network interface in Kubernetes and in the lab. */
    public static final String POD_INTERFACE = "eth0";
    private static final String PORT_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range";

    private LocalDiscovery() {
    }

    /**
     * Discovers a namespace's facts, taking the proxy's uids and the redirect ports from the namespace's
     * interception rules (read as {@code inspect --netns} reads them); Istio's defaults are assumed, and said so,
     * when there are none.
     */
    public static TargetFacts discover(NetworkNamespace namespace) {
        return discover(namespace, OptionalLong.empty());
    }

    /**
     * Discovers a namespace's facts as {@link #discover(NetworkNamespace)} does, with {@code proxyUid} (a flag the
     * caller was given) also taken for the proxy's, besides any uid the rules name.
     */
    public static TargetFacts discover(NetworkNamespace namespace, int proxyUid) {
        return discover(namespace, OptionalLong.of(proxyUid));
    }

    private static TargetFacts discover(NetworkNamespace namespace, OptionalLong givenUid) {
        List<String> notes = new ArrayList<>();
        LiveNamespaceReader reader = new LiveNamespaceReader(namespace);
        Optional<InterceptionModel> rules = interceptionRules(reader, namespace, notes);
        List<Long> ruleUids = rules.map(model -> List.copyOf(model.proxyUids())).orElse(List.of());
        Integer outboundPort = rules.map(InterceptionModel::outboundRedirectPort).orElse(null);
        Integer inboundPort = rules.map(InterceptionModel::inboundRedirectPort).orElse(null);
        Set<Long> proxyUids = new TreeSet<>(ruleUids);
        givenUid.ifPresent(proxyUids::add);
        if (proxyUids.isEmpty()) {
            proxyUids.add(IstioDefaults.PROXY_UID);
            notes.add("assuming proxy uid " + IstioDefaults.PROXY_UID + " (Istio's default) for the proxy's sockets");
        }
        CommandRunner.Result ip = CommandRunner.run(
                namespace.enter(List.of("ip", "-j", "addr", "show", "dev", POD_INTERFACE)));
        List<InetAddress> addresses = ip.ok() ? addresses(ip.stdout()) : List.of();
        if (addresses.isEmpty()) {
            notes.add("no global address on " + POD_INTERFACE + " in " + namespace.label()
                    + (ip.ok() ? "" : " (" + ip.reason() + ")") + "; give --pod-ip");
        }
        List<Integer> ports = applicationPorts(SsParser.parse(reader.listeningSockets()).sockets(), proxyUids);
        if (ports.isEmpty()) {
            notes.add("no application listening outside the proxy uid " + joined(proxyUids)
                    + "; give --port for the inbound legs");
        }
        PortRange range = reader.ephemeralPortRange().orElse(null);
        if (range == null) {
            notes.add("cannot read " + PORT_RANGE_FILE + " in " + namespace.label());
        }
        return new TargetFacts(namespace.label(), addresses, ports, range, notes, ruleUids, outboundPort, inboundPort);
    }

    /** The Istio rules of the namespace, or empty (with a note saying why) when there are none to go by. */
    private static Optional<InterceptionModel> interceptionRules(LiveNamespaceReader reader, NetworkNamespace namespace,
            List<String> notes) {
        InterceptionModel model;
        try {
            model = RuleDumpReader.read(reader.rules().dump());
        } catch (MeshcapException e) {
            notes.add("cannot read the interception rules: " + e.getMessage());
            return Optional.empty();
        }
        if (model.mode() == InterceptionMode.NONE) {
            notes.add("no Istio interception rules in " + namespace.label());
            return Optional.empty();
        }
        notes.add("from the " + model.mode().name().toLowerCase(Locale.ROOT) + " rules in " + namespace.label()
                + ": " + redirect("outbound", model.outboundRedirectPort())
                + ", " + redirect("inbound", model.inboundRedirectPort())
                + (model.proxyUids().isEmpty() ? ", no proxy uid" : ", proxy uid " + joined(model.proxyUids())));
        return Optional.of(model);
    }

    private static String redirect(String direction, Integer port) {
        return port != null ? direction + " redirect port " + port : "no " + direction + " redirect";
    }

    private static String joined(Collection<Long> uids) {
        return uids.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** Global-scope addresses from {@code ip -j addr show} output. */
    static List<InetAddress> addresses(String ipJson) {
        List<InetAddress> addresses = new ArrayList<>();
        try {
            for (JsonNode link : new ObjectMapper().readTree(ipJson)) {
                for (JsonNode info : link.path("addr_info")) {
                    if ("global".equals(info.path("scope").asText())) {
                        addresses.add(Addresses.parse(info.path("local").asText(), "ip addr"));
                    }
                }
            }
        } catch (IOException e) {
            throw MeshcapException.failure("cannot parse the output of ip -j addr: " + e.getMessage(), e);
        }
        return addresses;
    }

    /**
     * Listening TCP ports, leaving out sockets of the proxy uid and sockets bound to loopback only (the proxy's
     * admin ports), which no inbound call reaches.
     */
    static List<Integer> applicationPorts(List<ListeningSocket> sockets, Set<Long> proxyUids) {
        return sockets.stream()
                .filter(socket -> socket.tcp() && !proxyUids.contains(socket.uid()) && !socket.loopbackOnly())
                .map(ListeningSocket::port)
                .collect(Collectors.toCollection(TreeSet::new))
                .stream().toList();
    }
}
