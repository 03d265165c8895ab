package io.meshcap.plan;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshcap.format.LinkType;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.net.Addresses;
import io.meshcap.net.Cidr;
import io.meshcap.reassoc.FlowEndpoint;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The gateway legs, compiled by libpcap and run over a gateway's typical packets, select what their names promise,
 * and honour the gateway's address (--pod-ip) and listener ports (--port): downstream is clients <-> the listeners
 * from outside the cluster networks, upstream the gateway <-> the cluster networks.
 */
class GatewayPresetsTest {

    private static final String GATEWAY = "10.244.1.5";
    private static final List<Cidr> CLUSTER = List.of(Cidr.parse("10.244.0.0/16"), Cidr.parse("10.96.0.0/12"));

    /** One packet each way of each kind of connection a gateway pod's eth0 carries, by name. */
    private static final Map<String, FlowEndpoint[]> CONNECTIONS = new LinkedHashMap<>();

    static {
        // An internet client calls the HTTPS listener.
        CONNECTIONS.put("external-client", new FlowEndpoint[] {ep("203.0.113.7", 51000), ep(GATEWAY, 8443)});
        // The gateway forwards to a service's endpoint.
        CONNECTIONS.put("to-endpoint", new FlowEndpoint[] {ep(GATEWAY, 41000), ep("10.244.3.9", 8080)});
        // A pod inside the cluster calls the listener (a test curl from a pod).
        CONNECTIONS.put("in-cluster-client", new FlowEndpoint[] {ep("10.244.2.4", 52000), ep(GATEWAY, 8443)});
        // The cloud load balancer probes the status port from outside the cluster networks.
        CONNECTIONS.put("lb-probe", new FlowEndpoint[] {ep("192.0.2.10", 53000), ep(GATEWAY, 15021)});
        // Another pod's traffic the node forwards past: not the gateway's at all.
        CONNECTIONS.put("other-pod", new FlowEndpoint[] {ep("198.51.100.3", 54000), ep("10.244.7.7", 8443)});
    }

    private static Set<String> selected(String preset, List<InetAddress> podIps, List<Integer> ports) {
        FilterInputs inputs = new FilterInputs(podIps, List.of(), PortRange.LINUX_DEFAULT_EPHEMERAL, true,
                IstioDefaults.OUTBOUND_CAPTURE_PORT, CLUSTER, ports);
        String expression = FilterBuilder.build(PresetCatalogue.bundled().preset(preset), inputs, null).expression();
        Set<String> names = new TreeSet<>();
        try (BpfCompiler.CompiledFilter filter = BpfCompiler.compile(expression, LinkType.EN10MB, "test")) {
            CONNECTIONS.forEach((name, ends) -> {
                boolean request = filter.matches(link(LinkType.EN10MB, ip(ends[0], ends[1], ACK, 1, 1)));
                boolean reply = filter.matches(link(LinkType.EN10MB, ip(ends[1], ends[0], ACK, 1, 1)));
                assertEquals(request, reply, name + ": a leg takes both directions of a connection or neither");
                if (request) {
                    names.add(name);
                }
            });
        }
        return names;
    }

    @Test
    void byTheClusterNetworksAlone() {
        assertEquals(Set.of("external-client", "lb-probe", "other-pod"), selected("gateway-downstream", List.of(), List.of()));
        assertEquals(Set.of("to-endpoint", "in-cluster-client"), selected("gateway-upstream", List.of(), List.of()));
    }

    @Test
    void theGatewaysAddressKeepsOtherPodsOut() {
        List<InetAddress> gateway = List.of(Addresses.parse(GATEWAY, "--pod-ip"));
        assertEquals(Set.of("external-client", "lb-probe"), selected("gateway-downstream", gateway, List.of()));
        assertEquals(Set.of("to-endpoint", "in-cluster-client"), selected("gateway-upstream", gateway, List.of()));
    }

    @Test
    void listenerPortsMakeDownstreamTheClientsOfThoseListeners() {
        List<InetAddress> gateway = List.of(Addresses.parse(GATEWAY, "--pod-ip"));
        assertEquals(Set.of("external-client"), selected("gateway-downstream", gateway, List.of(8443)));
        assertEquals(Set.of("to-endpoint", "in-cluster-client"), selected("gateway-upstream", gateway, List.of(8443)));
        assertEquals(Set.of("external-client", "other-pod"), selected("gateway-downstream", List.of(), List.of(8443)));
    }

    @Test
    void aGatewayAddressOutsideTheClusterNetworksStillSplitsByPeer() {
        // The misconfiguration the warning is about: the gateway's own address is not in --cluster-cidr.
        List<InetAddress> outside = List.of(Addresses.parse("10.244.1.5", "--pod-ip"));
        List<Cidr> wrong = List.of(Cidr.parse("10.96.0.0/12"));
        FilterInputs inputs = new FilterInputs(outside, List.of(), PortRange.LINUX_DEFAULT_EPHEMERAL, true,
                IstioDefaults.OUTBOUND_CAPTURE_PORT, wrong, List.of());
        assertEquals(1, FilterNotes.of(List.of(PresetCatalogue.bundled().preset("gateway-upstream")), inputs).warnings().size());
        FilterInputs right = new FilterInputs(outside, List.of(), PortRange.LINUX_DEFAULT_EPHEMERAL, true,
                IstioDefaults.OUTBOUND_CAPTURE_PORT, CLUSTER, List.of());
        assertEquals(List.of(), FilterNotes.of(List.of(PresetCatalogue.bundled().preset("gateway-upstream")), right).warnings());
    }
}
