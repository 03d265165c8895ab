package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.FIN;
import static io.meshcap.reassoc.Packets.PSH_ACK;
import static io.meshcap.reassoc.Packets.RST;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.LinkType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the streams table tells a connection's leg, state and client from what the capture holds: interface names and
 * the descriptions meshcap writes, link types with and without a loopback marker, IPv6, connections seen only in
 * part, a source port used again, and the time bounds of the timing rule. Every expected value is written out from
 * the hand-built packets.
 */
class StreamLegsTest {

    private static final String POD = "198.18.0.2";
    private static final FlowEndpoint UPSTREAM = ep("198.18.0.1", 8080);

    /**
     * Records fed to one stitcher in the order added, each on an interface of the test's choosing. Ethernet frames
     * carry the all-zero addresses of lo on interfaces whose device is lo, real ones elsewhere.
     */
    private static final class Feed {
        final Stitcher stitcher = new Stitcher(RedirectPorts.istioDefaults());

        Feed add(CaptureInterface on, int id, long micros, byte[] ipPacket) {
            byte[] frame = link(on.linkType(), ipPacket);
            if (on.linkType() == LinkType.EN10MB && !(on.name() != null && on.name().matches(".*/lo(\\.pcap)?"))) {
                Arrays.fill(frame, 0, 12, (byte) 0x02);
            }
            stitcher.apply(on, Packets.record(id, micros, frame));
            return this;
        }

        /** The handshake, then FINs both ways at {@code endMicros}. */
        Feed connection(CaptureInterface on, int id, FlowEndpoint client, FlowEndpoint server, long startMicros,
                        long endMicros) {
            add(on, id, startMicros, ip(client, server, SYN, 100, 0));
            add(on, id, startMicros + 1, ip(server, client, SYN | ACK, 500, 101));
            add(on, id, startMicros + 2, ip(client, server, ACK, 101, 501));
            add(on, id, endMicros, ip(client, server, FIN | ACK, 101, 501));
            return add(on, id, endMicros + 1, ip(server, client, FIN | ACK, 501, 102));
        }

        StreamTable table() {
            return stitcher.table();
        }
    }

    private static CaptureInterface iface(int linkType, String name, String description) {
        return new CaptureInterface(linkType, 0, name, description);
    }

    private static List<String> legs(StreamTable table) {
        return table.streams().stream().map(s -> s.interfaceName() + " " + s.leg()).toList();
    }

    @Test
    void theLegMeshcapDeclaredInTheInterfaceNameOrDescriptionDecidesWhereAddressesCannot() {
        CaptureInterface named = iface(LinkType.EN10MB, "reviews-v1/eth0:outbound-mtls", null);
        CaptureInterface described = iface(LinkType.EN10MB, null, "namespace=bookinfo; preset=inbound-mtls");
        CaptureInterface podIps = iface(LinkType.EN10MB, "ratings/eth0", "pod=ratings; "
                + CaptureInterface.POD_IPS_KEY + "=fd00::9, 198.18.0.9");
        CaptureInterface foreign = iface(LinkType.EN10MB, "eth0", "someone else's description: a=b");
        StreamTable table = new Feed()
                .connection(named, 0, ep(POD, 40000), UPSTREAM, 0, 10)
                .connection(described, 1, ep("198.18.0.7", 50000), ep(POD, 9080), 20, 30)
                .connection(podIps, 2, ep("198.18.0.7", 50001), ep("198.18.0.9", 9080), 40, 50)
                .connection(podIps, 2, ep("198.18.0.9", 40001), UPSTREAM, 60, 70)
                .connection(foreign, 3, ep(POD, 40002), UPSTREAM, 80, 90)
                .table();
        assertEquals(List.of("reviews-v1/eth0:outbound-mtls outbound-mtls", "if1 inbound-mtls",
                "ratings/eth0 inbound-mtls", "ratings/eth0 outbound-mtls", "eth0 other"), legs(table));
    }

    @Test
    void loopbackIsToldByTheInterfaceNameTheLinkHeaderOrForRawPacketsTheAddresses() {
        // A pcap merged without a name is named after its file; RAW and NULL have no link header to ask.
        CaptureInterface pcapFile = iface(LinkType.EN10MB, "pod-lo.pcap/lo.pcap", null);
        CaptureInterface raw = iface(LinkType.RAW, "raw", null);
        CaptureInterface sll = iface(LinkType.LINUX_SLL, "any", null);
        StreamTable table = new Feed()
                .connection(pcapFile, 0, ep(POD, 40000), UPSTREAM, 0, 10)
                .connection(raw, 1, ep("127.0.0.6", 50000), ep(POD, 9080), 20, 30)
                .connection(raw, 1, ep(POD, 40001), ep("127.0.0.1", 15001), 40, 50)
                .connection(raw, 1, ep(POD, 40002), ep("198.18.0.9", 9080), 60, 70)
                .connection(sll, 2, ep(POD, 40003), UPSTREAM, 80, 90)
                .connection(sll, 2, ep(POD, 40004), ep("127.0.0.1", 9999), 100, 110)
                .table();
        // The raw packets to 198.18.0.9 left the pod: the pod's address is known from its lo connections.
        assertEquals(List.of("pod-lo.pcap/lo.pcap outbound-plain", "raw inbound-plain", "raw redirected",
                "raw outbound-mtls", "any outbound-plain", "any other"), legs(table));
    }

    @Test
    void ipv6LoopbackAndIstiosInboundBindAddressAreLoopback() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        StreamTable table = new Feed()
                .connection(lo, 0, ep("::6", 50000), ep("fd00::2", 9080), 0, 10)
                .connection(lo, 0, ep("::1", 50001), ep("::1", 15000), 20, 30)
                .connection(lo, 0, ep("fd00::2", 40000), ep("fd00::1", 8080), 40, 50)
                .connection(lo, 0, ep("fd00::2", 40001), ep("fd00::2", 8080), 60, 70)
                .table();
        assertEquals(List.of("pod/lo inbound-plain", "pod/lo local", "pod/lo outbound-plain", "pod/lo self-call"),
                legs(table));
        assertEquals("[fd00::2]:40000", table.streams().get(2).client());
    }

    @Test
    void aConnectionIsOpenClosedOrResetAndOneSeenMidwayHasTheHigherPortAsItsClient() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        FlowEndpoint app = ep(POD, 40000);
        StreamTable table = new Feed()
                // Half closed: a FIN one way only.
                .add(lo, 0, 0, ip(app, UPSTREAM, SYN, 100, 0))
                .add(lo, 0, 1, ip(UPSTREAM, app, SYN | ACK, 500, 101))
                .add(lo, 0, 2, ip(app, UPSTREAM, FIN | ACK, 101, 501))
                // Reset by the server.
                .add(lo, 0, 10, ip(ep(POD, 40001), UPSTREAM, SYN, 100, 0))
                .add(lo, 0, 11, ip(UPSTREAM, ep(POD, 40001), RST | ACK, 0, 101))
                // Seen from the middle: the server's reply first.
                .add(lo, 0, 20, ip(UPSTREAM, ep(POD, 40002), PSH_ACK, 900, 300, Packets.text("HTTP/1.1 200")))
                .add(lo, 0, 25, ip(ep(POD, 40002), UPSTREAM, ACK, 300, 912))
                .table();
        List<StreamSummary> streams = table.streams();
        assertEquals(List.of("open", "reset", "open"), streams.stream().map(StreamSummary::state).toList());
        assertEquals(List.of(true, true, false), streams.stream().map(StreamSummary::handshake).toList());
        StreamSummary midway = streams.get(2);
        assertEquals(List.of("198.18.0.2:40002", "198.18.0.1:8080", "1", "1", "0", "12", "20000", "25000", "6"),
                List.of(midway.client(), midway.server(), String.valueOf(midway.packetsToServer()),
                        String.valueOf(midway.packetsToClient()), String.valueOf(midway.bytesToServer()),
                        String.valueOf(midway.bytesToClient()), String.valueOf(midway.startNanos()),
                        String.valueOf(midway.endNanos()), String.valueOf(midway.firstFrame())));
        assertEquals(false, midway.plaintext(), "the client sent nothing");
    }

    @Test
    void aSynAgainOnAnOpenConnectionIsARetransmissionUnlessItsSequenceOrSenderDiffers() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        FlowEndpoint app = ep(POD, 40000);
        StreamTable table = new Feed()
                .add(lo, 0, 0, ip(app, UPSTREAM, SYN, 100, 0))
                .add(lo, 0, 1000, ip(app, UPSTREAM, SYN, 100, 0)) // retransmitted
                .add(lo, 0, 1001, ip(UPSTREAM, app, SYN | ACK, 500, 101))
                .add(lo, 0, 2000, ip(app, UPSTREAM, SYN, 7000, 0)) // the port used again, another ISN
                .add(lo, 0, 3000, ip(UPSTREAM, app, SYN, 9000, 0)) // a SYN from the other side
                .table();
        assertEquals(List.of(2L, 1L, 1L), table.streams().stream().map(StreamSummary::packetsToServer).toList());
        assertEquals(List.of(0L, 2000L, 3000L), table.streams().stream()
                .map(s -> s.startNanos() / 1000).toList());
        assertEquals("198.18.0.1:8080", table.streams().get(2).client());
    }

    /**
     * The later leg opens while the earlier is open, bounds included; an earlier one that is still open (pooled)
     * counts unless it began to close before; one that ended before does not.
     */
    @Test
    void theTimingRuleCountsItsBoundsAndLeavesOutUpstreamsThatBeganToCloseBefore() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        FlowEndpoint app = ep(POD, 30000);
        Feed feed = new Feed()
                // An upstream opened exactly when the app connection's last packet came: still a candidate.
                .add(lo, 0, 0, ip(app, UPSTREAM, SYN, 100, 0))
                .add(lo, 0, 100, ip(UPSTREAM, app, SYN | ACK, 500, 101))
                .add(eth0, 1, 100, ip(ep(POD, 40000), UPSTREAM, SYN, 100, 0));
        StreamTable table = feed.table();
        assertEquals(List.of(new StreamTable.Join("outbound", 0, 1, "same destination, opened 0.100 ms after")),
                table.joins());

        // An upstream that began to close before the app connection opened takes no call, though its last ACK
        // comes later; one whose last packet came exactly when the app connection opened is still pooled.
        FlowEndpoint closing = ep(POD, 40001);
        FlowEndpoint pooled = ep(POD, 40002);
        StreamTable later = new Feed()
                .add(eth0, 1, 0, ip(closing, UPSTREAM, SYN, 100, 0))
                .add(eth0, 1, 1, ip(pooled, UPSTREAM, SYN, 100, 0))
                .add(eth0, 1, 500, ip(closing, UPSTREAM, FIN | ACK, 101, 501))
                .add(eth0, 1, 1000, ip(pooled, UPSTREAM, ACK, 101, 501))
                .add(lo, 0, 1000, ip(app, UPSTREAM, SYN, 100, 0))
                .add(eth0, 1, 1500, ip(UPSTREAM, closing, ACK, 501, 102))
                .add(lo, 0, 2000, ip(UPSTREAM, app, SYN | ACK, 500, 101))
                .table();
        assertEquals(List.of(new StreamTable.Join("outbound", 2, 1,
                "same destination, an upstream connection already open (pooled)")), later.joins());
        assertEquals(List.of(), later.ambiguous());
    }

    /** Candidates are listed in stream order, however the connections overlap. */
    @Test
    void candidatesOpenAtOnceAreListedInStreamOrder() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        StreamTable table = new Feed()
                .connection(eth0, 1, ep(POD, 40000), UPSTREAM, 0, 9000)
                .connection(eth0, 1, ep(POD, 40001), UPSTREAM, 10, 5000)
                .connection(eth0, 1, ep(POD, 40002), UPSTREAM, 20, 7000)
                .connection(lo, 0, ep(POD, 30000), UPSTREAM, 100, 200)
                .table();
        assertEquals(1, table.ambiguous().size());
        assertEquals(List.of(0, 1, 2), table.ambiguous().get(0).candidates().stream()
                .map(StreamTable.Candidate::stream).toList());
        assertEquals(3, table.ambiguous().get(0).from());
    }
}
