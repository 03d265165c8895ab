package io.meshcap.capture.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.MeshcapException;
import io.meshcap.istio.InterceptionFacts;
import io.meshcap.istio.LiveNamespaceReader;
import io.meshcap.istio.SsParser;
import io.meshcap.net.Addresses;
import io.meshcap.plan.PortRange;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Reads a local network namespace's facts the way an operator would from a shell inside it: the pod address on
 * eth0 ({@code ip -j addr}), the application's listening ports ({@code ss}, read by {@link LiveNamespaceReader},
 * leaving out the proxy's own sockets), the ephemeral port range ({@code ip_local_port_range}), and from the
 * interception rules ({@link InterceptionFacts}, as for pods in a cluster), the proxy's uids and the outbound and
 * inbound redirect ports.
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
        LiveNamespaceReader reader = new LiveNamespaceReader(namespace);
        InterceptionFacts rules = interceptionRules(reader, namespace, givenUid);
        List<String> notes = new ArrayList<>(rules.notes());
        CommandRunner.Result ip = CommandRunner.run(
                namespace.enter(List.of("ip", "-j", "addr", "show", "dev", POD_INTERFACE)));
        List<InetAddress> addresses = ip.ok() ? addresses(ip.stdout()) : List.of();
        if (addresses.isEmpty()) {
            notes.add("no global address on " + POD_INTERFACE + " in " + namespace.label()
                    + (ip.ok() ? "" : " (" + ip.reason() + ")") + "; give --pod-ip");
        }
        List<Integer> ports = rules.applicationPorts(SsParser.parse(reader.listeningSockets()).sockets());
        if (ports.isEmpty()) {
            notes.add("no application listening outside the proxy uid " + rules.proxyUidList()
                    + "; give --port for the inbound legs");
        }
        PortRange range = reader.ephemeralPortRange().orElse(null);
        if (range == null) {
            notes.add("cannot read " + PORT_RANGE_FILE + " in " + namespace.label());
        }
        return new TargetFacts(namespace.label(), addresses, ports, range, notes, rules.ruleUids(),
                rules.outboundPort(), rules.inboundPort());
    }

    /** What the namespace's rules say; Istio's defaults (with a note saying why) when they cannot be collected. */
    private static InterceptionFacts interceptionRules(LiveNamespaceReader reader, NetworkNamespace namespace,
            OptionalLong givenUid) {
        String dump;
        try {
            dump = reader.rules().dump();
        } catch (MeshcapException e) {
            return InterceptionFacts.unreadable(e.getMessage(), givenUid);
        }
        return InterceptionFacts.read(dump, namespace.label(), givenUid);
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
}
