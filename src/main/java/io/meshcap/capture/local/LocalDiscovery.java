package io.meshcap.capture.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.MeshcapException;
import io.meshcap.istio.ListeningSocket;
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
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads a local network namespace's facts the way an operator would from a shell inside it: the pod address on
 * eth0 ({@code ip -j addr}), the application's listening ports ({@code ss}, read by {@link LiveNamespaceReader},
 * leaving out the proxy's own sockets), and the ephemeral port range ({@code ip_local_port_range}).
 */
public final class LocalDiscovery {

    /** The pod's network interface in Kubernetes and in the lab. */
    public static final String POD_INTERFACE = "eth0";
    private static final String PORT_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range";

    private LocalDiscovery() {
    }

    /**
     * Discovers a namespace's facts.
     *
     * @param proxyUid sockets owned by this uid belong to the sidecar, not the application
     */
    public static TargetFacts discover(NetworkNamespace namespace, int proxyUid) {
        List<String> notes = new ArrayList<>();
        List<InetAddress> addresses = addresses(
                run(namespace, List.of("ip", "-j", "addr", "show", "dev", POD_INTERFACE), "reading eth0's addresses"));
        if (addresses.isEmpty()) {
            notes.add("no global address on " + POD_INTERFACE + " in " + namespace.label() + "; give --pod-ip");
        }
        LiveNamespaceReader reader = new LiveNamespaceReader(namespace);
        List<Integer> ports = applicationPorts(SsParser.parse(reader.listeningSockets()).sockets(), proxyUid);
        if (ports.isEmpty()) {
            notes.add("no application listening outside the proxy uid " + proxyUid + "; give --port for the inbound legs");
        }
        PortRange range = null;
        CommandRunner.Result rangeFile = CommandRunner.run(namespace.enter(List.of("cat", PORT_RANGE_FILE)));
        if (rangeFile.ok()) {
            range = PortRange.parse(rangeFile.stdout());
        } else {
            notes.add("cannot read " + PORT_RANGE_FILE + " (" + rangeFile.reason() + ")");
        }
        return new TargetFacts(namespace.label(), addresses, ports, range, notes);
    }

    private static String run(NetworkNamespace namespace, List<String> command, String what) {
        return CommandRunner.check(what + " in " + namespace.label(), namespace.enter(command)).stdout();
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
    static List<Integer> applicationPorts(List<ListeningSocket> sockets, long proxyUid) {
        return sockets.stream()
                .filter(socket -> socket.tcp() && socket.uid() != proxyUid && !socket.loopbackOnly())
                .map(ListeningSocket::port)
                .collect(Collectors.toCollection(TreeSet::new))
                .stream().toList();
    }
}
