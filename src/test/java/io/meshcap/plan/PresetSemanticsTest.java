package io.meshcap.plan;

import io.meshcap.istio.IstioDefaults;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import io.meshcap.lab.Endpoint;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.lab.Recording;
import io.meshcap.net.Addresses;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each preset's filter, compiled by libpcap, run over every packet of the lab pod's real eth0 and lo traffic
 * (Istio's nat rules, a sidecar running as the proxy uid), selects exactly the packets of its leg. Which
 * packet belongs to which leg comes from the traffic ledger, i.e. from the sockets, never from a capture.
 *
 * <p>The lab serves 8080 and 30080: the second is an application port above 20000, where the seed's
 * hand-written recipe ({@code portrange 20000-65535}) mixes inbound traffic into the outbound legs.
 */
class PresetSemanticsTest {

    private static final int APP_PORT = 8080;
    private static final int HIGH_APP_PORT = 30080;
    private static final int CONNECTIONS = 6;
    private static final PortRange NARROW_RANGE = new PortRange(10000, 19999);

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withAppPorts(List.of(APP_PORT, HIGH_APP_PORT)));

    @TempDir
    static Path dir;

    /** Traffic with the kernel's default ephemeral range, then with the pod's range moved to 10000-19999. */
    static Capture defaultRange;
    static Capture narrowRange;

    record Packet(int frame, String tuple, byte[] data) {
    }

    record Capture(Ledger ledger, List<Packet> eth0, List<Packet> lo) {
    }

    @BeforeAll
    static void recordLabTraffic() throws Exception {
        defaultRange = record("default");
        setEphemeralRange(NARROW_RANGE);
        narrowRange = record("narrow");
    }

    private static Capture record(String name) throws Exception {
        String pod = LAB.topology().podNamespace();
        Path eth0 = dir.resolve(name + "-eth0.pcap");
        Path lo = dir.resolve(name + "-lo.pcap");
        Ledger ledger;
        try (Recording onEth0 = LAB.record(pod, LabTopology.POD_INTERFACE, eth0); Recording onLo = LAB.record(pod, "lo", lo)) {
            ledger = LAB.traffic(CONNECTIONS, CONNECTIONS);
        }
        assertTrue(ledger.allVerified(), "lab traffic did not verify end to end");
        return new Capture(ledger, packets(eth0), packets(lo));
    }

    private static void setEphemeralRange(PortRange range) throws Exception {
        Process sysctl = new ProcessBuilder("ip", "netns", "exec", LAB.topology().podNamespace(), "sysctl", "-w",
                "net.ipv4.ip_local_port_range=" + range.low() + " " + range.high()).inheritIO().start();
        assertEquals(0, sysctl.waitFor());
    }

    /** Every packet of a recording: tshark's TCP four-tuple (if any) beside the raw bytes meshcap's reader returns. */
    private static List<Packet> packets(Path file) throws IOException {
        Map<Integer, String> tuples = new LinkedHashMap<>();
        for (List<String> row : Tshark.firstFields(file, "tcp", "frame.number", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport")) {
            tuples.put(Integer.parseInt(row.get(0)), row.get(1) + ":" + row.get(2) + ">" + row.get(3) + ":" + row.get(4));
        }
        List<Packet> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureFormats.open(file)) {
            assertEquals(LinkType.EN10MB, reader.interfaces().get(0).linkType());
            for (CaptureRecord record = reader.next(); record != null; record = reader.next()) {
                int frame = packets.size() + 1;
                packets.add(new Packet(frame, tuples.getOrDefault(frame, "non-tcp"), record.data()));
            }
        }
        return packets;
    }

    // ---- ground truth from the ledger: directed tuples "src:port>dst:port" per leg

    private static String tuple(Endpoint from, Endpoint to) {
        return from.address() + ":" + from.port() + ">" + to.address() + ":" + to.port();
    }

    private static Set<String> bothWays(Endpoint a, Endpoint b) {
        return Set.of(tuple(a, b), tuple(b, a));
    }

    private static Set<String> truth(Ledger ledger, String leg) {
        Set<String> tuples = new HashSet<>();
        for (LedgerEntry c : ledger.connections()) {
            boolean inbound = c.kind() == LedgerEntry.Kind.INBOUND;
            switch (leg) {
                case "inbound-mtls" -> { if (inbound) tuples.addAll(bothWays(c.client(), c.destination())); }
                case "inbound-plain" -> { if (inbound) tuples.addAll(bothWays(c.serverPeer(), c.destination())); }
                case "outbound-mtls" -> { if (!inbound) tuples.addAll(bothWays(c.serverPeer(), c.destination())); }
                case "outbound-plain" -> {
                    if (!inbound) {
                        // Request direction after the REDIRECT; replies already un-NATed (design.md).
                        tuples.add(tuple(c.client(), new Endpoint("127.0.0.1", IstioDefaults.OUTBOUND_CAPTURE_PORT)));
                        tuples.add(tuple(c.destination(), c.client()));
                    }
                }
                default -> throw new IllegalArgumentException(leg);
            }
        }
        return tuples;
    }

    private static List<Packet> onInterface(Capture capture, Preset preset) {
        return preset.interfaceName().equals("lo") ? capture.lo() : capture.eth0();
    }

    private static Set<Integer> framesOf(List<Packet> packets, Set<String> tuples) {
        Set<Integer> frames = new TreeSet<>();
        for (Packet p : packets) {
            if (tuples.contains(p.tuple())) {
                frames.add(p.frame());
            }
        }
        return frames;
    }

    private static Set<Integer> selected(List<Packet> packets, String expression) {
        Set<Integer> frames = new TreeSet<>();
        try (BpfCompiler.CompiledFilter filter = BpfCompiler.compile(expression, LinkType.EN10MB, "test")) {
            for (Packet p : packets) {
                if (filter.matches(p.data())) {
                    frames.add(p.frame());
                }
            }
        }
        return frames;
    }

    private static String meshcapFilter(String preset, PortRange range) {
        FilterInputs inputs = new FilterInputs(List.of(Addresses.parse(LabTopology.POD_IPV4, "pod")),
                List.of(APP_PORT, HIGH_APP_PORT), range, false, IstioDefaults.OUTBOUND_CAPTURE_PORT, List.of());
        return FilterBuilder.build(PresetCatalogue.bundled().preset(preset), inputs, null).expression();
    }

    private static final List<String> SIDECAR_LEGS = List.of("inbound-mtls", "inbound-plain", "outbound-plain", "outbound-mtls");

    @Test
    void eachSidecarPresetSelectsExactlyItsLeg() {
        for (Capture capture : List.of(defaultRange, narrowRange)) {
            PortRange range = capture == defaultRange ? PortRange.LINUX_DEFAULT_EPHEMERAL : NARROW_RANGE;
            for (String leg : SIDECAR_LEGS) {
                Preset preset = PresetCatalogue.bundled().preset(leg);
                List<Packet> packets = onInterface(capture, preset);
                Set<Integer> expected = framesOf(packets, truth(capture.ledger(), leg));
                // Every connection's handshake, data and teardown: far more than one packet per connection.
                assertTrue(expected.size() >= CONNECTIONS * 2 * 5, leg + ": the recording lacks the leg's packets: " + expected.size());
                assertEquals(expected, selected(packets, meshcapFilter(leg, range)), leg + " with range " + range);
            }
        }
    }

    @Test
    void theLegsArePairwiseDisjointOnEachInterface() {
        for (String a : SIDECAR_LEGS) {
            for (String b : SIDECAR_LEGS) {
                Preset first = PresetCatalogue.bundled().preset(a);
                Preset second = PresetCatalogue.bundled().preset(b);
                if (a.compareTo(b) < 0 && first.interfaceName().equals(second.interfaceName())) {
                    List<Packet> packets = onInterface(defaultRange, first);
                    Set<Integer> both = selected(packets, meshcapFilter(a, PortRange.LINUX_DEFAULT_EPHEMERAL));
                    both.retainAll(selected(packets, meshcapFilter(b, PortRange.LINUX_DEFAULT_EPHEMERAL)));
                    assertTrue(both.isEmpty(), a + " and " + b + " both select frames " + both);
                }
            }
        }
    }

    @Test
    void outboundPlainHoldsBothHalvesOfEveryAppConnectionAndNothingOfThe127006Leg() {
        List<Packet> lo = defaultRange.lo();
        Set<Integer> selected = selected(lo, meshcapFilter("outbound-plain", PortRange.LINUX_DEFAULT_EPHEMERAL));
        for (LedgerEntry c : defaultRange.ledger().of(LedgerEntry.Kind.OUTBOUND)) {
            Set<Integer> request = framesOf(lo, Set.of(tuple(c.client(), new Endpoint("127.0.0.1", IstioDefaults.OUTBOUND_CAPTURE_PORT))));
            Set<Integer> reply = framesOf(lo, Set.of(tuple(c.destination(), c.client())));
            assertFalse(request.isEmpty() || reply.isEmpty(), "connection " + c.id() + " lacks a half on lo");
            assertTrue(selected.containsAll(request) && selected.containsAll(reply), "connection " + c.id());
        }
        for (Packet p : lo) {
            if (p.tuple().startsWith("127.0.0.6:") || p.tuple().contains(">127.0.0.6:")) {
                assertFalse(selected.contains(p.frame()), "selects inbound frame " + p.frame() + " " + p.tuple());
            }
        }
    }

    // ---- the seed's hand-written recipes (shared/seeds/istio-ports-components.md), with APP=8080

    private static String seed(String leg, int appPort) {
        String ip = LabTopology.POD_IPV4;
        return switch (leg) {
            case "inbound-mtls", "inbound-plain" ->
                    "(dst port " + appPort + " and dst " + ip + ") or (src port " + appPort + " and src " + ip + ")";
            case "outbound-plain" -> "((dst port 15001 and dst 127.0.0.1) or (dst portrange 20000-65535 and dst " + ip + "))";
            case "outbound-mtls" -> "((src portrange 20000-65535 and src " + ip + ") or (dst portrange 20000-65535 and dst " + ip + "))";
            default -> throw new IllegalArgumentException(leg);
        };
    }

    @Test
    void whereTheSeedIsRightMeshcapSelectsTheSamePackets() {
        // The inbound recipes are sound: for the one port they name, they select what meshcap selects.
        for (String leg : List.of("inbound-mtls", "inbound-plain")) {
            Preset preset = PresetCatalogue.bundled().preset(leg);
            FilterInputs onePort = new FilterInputs(List.of(Addresses.parse(LabTopology.POD_IPV4, "pod")), List.of(APP_PORT),
                    PortRange.LINUX_DEFAULT_EPHEMERAL, false, IstioDefaults.OUTBOUND_CAPTURE_PORT, List.of());
            List<Packet> packets = onInterface(defaultRange, preset);
            Set<Integer> meshcap = selected(packets, FilterBuilder.build(preset, onePort, null).expression());
            assertFalse(meshcap.isEmpty());
            assertEquals(meshcap, selected(packets, seed(leg, APP_PORT)), leg);
        }
    }

    @Test
    void theSeedsPortrange20000MixesInboundTrafficToAHighAppPortIntoTheOutboundLegs() {
        for (String leg : List.of("outbound-plain", "outbound-mtls")) {
            List<Packet> packets = onInterface(defaultRange, PresetCatalogue.bundled().preset(leg));
            Set<Integer> wronglySelected = selected(packets, seed(leg, APP_PORT));
            wronglySelected.removeAll(framesOf(packets, truth(defaultRange.ledger(), leg)));
            // Every inbound packet to the application's port 30080 matches "dst portrange 20000-65535 and dst POD".
            Set<Integer> inboundHigh = new TreeSet<>();
            for (Packet p : packets) {
                if (p.tuple().endsWith(">" + LabTopology.POD_IPV4 + ":" + HIGH_APP_PORT)) {
                    inboundHigh.add(p.frame());
                }
            }
            assertFalse(inboundHigh.isEmpty());
            assertTrue(wronglySelected.containsAll(inboundHigh),
                    leg + ": the seed recipe should select the inbound " + HIGH_APP_PORT + " frames " + inboundHigh);
        }
    }

    @Test
    void theSeedsPortrange20000MissesEveryOutboundConnectionOfAPodWithALowerRange() {
        for (String leg : List.of("outbound-plain", "outbound-mtls")) {
            List<Packet> packets = onInterface(narrowRange, PresetCatalogue.bundled().preset(leg));
            Set<Integer> leg_ = framesOf(packets, truth(narrowRange.ledger(), leg));
            Set<Integer> seedSelected = selected(packets, seed(leg, APP_PORT));
            seedSelected.retainAll(leg_);
            if (leg.equals("outbound-plain")) {
                // Only the request direction to 127.0.0.1:15001 survives; every reply is lost.
                Set<Integer> requests = new TreeSet<>();
                for (Packet p : packets) {
                    if (p.tuple().endsWith(">127.0.0.1:" + IstioDefaults.OUTBOUND_CAPTURE_PORT)) {
                        requests.add(p.frame());
                    }
                }
                assertEquals(requests, seedSelected, leg);
            } else {
                assertTrue(seedSelected.isEmpty(), leg + ": the seed recipe selects " + seedSelected);
            }
            assertEquals(leg_, selected(packets, meshcapFilter(leg, NARROW_RANGE)), leg + " with the pod's real range");
        }
    }
}
