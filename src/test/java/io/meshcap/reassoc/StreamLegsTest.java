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
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import io.meshcap.tls.KeyLog;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
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

    @Test
    void everyRecordPassesThroughTheStitcherAsItCame() {
        Stitcher stitcher = new Stitcher(RedirectPorts.istioDefaults());
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureRecord tcp = Packets.record(0, 0, link(LinkType.EN10MB, ip(ep(POD, 40000), UPSTREAM, SYN, 100, 0)));
        // An ARP frame: no TCP in it.
        CaptureRecord arp = Packets.record(0, 1, HexFormat.of().parseHex("ffffffffffff0200000000010806"
                + "0001080006040001020000000001c6120002000000000000c6120001"));
        assertEquals(List.of(tcp), stitcher.apply(lo, tcp));
        assertEquals(List.of(arp), stitcher.apply(lo, arp));
        assertEquals(1, stitcher.table().streams().size());
    }

    @Test
    void aConnectionSeenMidwayBetweenEqualPortsHasItsFirstPacketsDestinationAsClient() {
        StreamTable table = new Feed()
                .add(iface(LinkType.EN10MB, "pod/eth0", null), 0, 0,
                        ip(ep("198.18.0.7", 8080), ep(POD, 8080), ACK, 100, 500))
                .table();
        assertEquals("198.18.0.2:8080", table.streams().get(0).client());
        assertEquals("198.18.0.7:8080", table.streams().get(0).server());
    }

    @Test
    void aSynWithSequenceNumberZeroIsAHandshake() {
        StreamTable table = new Feed()
                .add(iface(LinkType.EN10MB, "pod/lo", null), 0, 0, ip(ep(POD, 40000), UPSTREAM, SYN, 0, 0))
                .table();
        assertEquals(true, table.streams().get(0).handshake());
    }

    @Test
    void thePodAddressIsLearnedFromTheSidecarsConnectionToTheAppAlone() {
        // No description and no preset: only lo's 127.0.0.6 > POD:9080 says which address is the pod's.
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        StreamTable table = new Feed()
                .connection(eth0, 1, ep("198.18.0.7", 50000), ep(POD, 9080), 0, 100)
                .connection(lo, 0, ep("127.0.0.6", 50001), ep(POD, 9080), 10, 90)
                .connection(eth0, 1, ep(POD, 40000), UPSTREAM, 200, 300)
                .table();
        assertEquals(List.of("pod/eth0 inbound-mtls", "pod/lo inbound-plain", "pod/eth0 outbound-mtls"), legs(table));
    }

    @Test
    void anUpstreamOpenedInTheSameMicrosecondAsTheAppConnectionIsACandidate() {
        StreamTable table = new Feed()
                .connection(iface(LinkType.EN10MB, "pod/lo", null), 0, ep(POD, 30000), UPSTREAM, 100, 200)
                .connection(iface(LinkType.EN10MB, "pod/eth0", null), 1, ep(POD, 40000), UPSTREAM, 100, 200)
                .table();
        assertEquals(List.of(new StreamTable.Join("outbound", 0, 1, "same destination, opened 0.000 ms after")),
                table.joins());
    }

    /** An upstream whose first packet seen is a FIN at the capture's time 0 was closing before any later call. */
    @Test
    void aFinAtTimeZeroClosesTheUpstreamForLaterCallsWhateverComesAfterIt() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        FlowEndpoint upstream = ep(POD, 40000);
        StreamTable table = new Feed()
                .add(eth0, 1, 0, ip(upstream, UPSTREAM, FIN | ACK, 100, 500))
                .add(lo, 0, 1000, ip(ep(POD, 30000), UPSTREAM, SYN, 100, 0))
                .add(eth0, 1, 1500, ip(UPSTREAM, upstream, RST, 500, 0))
                .add(eth0, 1, 3000, ip(upstream, UPSTREAM, ACK, 101, 501))
                .table();
        assertEquals(List.of(), table.joins(), table::describe);
        assertEquals(List.of(), table.ambiguous(), table::describe);
    }

    /** Each candidate says how many other connections it is a candidate for, and only when there are some. */
    @Test
    void aCandidateSaysHowManyOtherConnectionsItIsACandidateFor() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        // One app connection, two upstreams opened while it was open: each a candidate for it alone.
        StreamTable alone = new Feed()
                .connection(lo, 0, ep(POD, 30000), UPSTREAM, 0, 1000)
                .connection(eth0, 1, ep(POD, 40000), UPSTREAM, 100, 900)
                .connection(eth0, 1, ep(POD, 40001), UPSTREAM, 200, 900)
                .table();
        assertEquals(List.of(new StreamTable.Ambiguity("outbound", 0, List.of(
                new StreamTable.Candidate(1, "same destination, opened 0.100 ms after"),
                new StreamTable.Candidate(2, "same destination, opened 0.200 ms after")))), alone.ambiguous());
        // Two and three app connections open around one pooled upstream.
        StreamTable shared = new Feed()
                .connection(eth0, 1, ep(POD, 40000), UPSTREAM, 0, 9000)
                .connection(lo, 0, ep(POD, 30000), UPSTREAM, 100, 200)
                .connection(lo, 0, ep(POD, 30001), UPSTREAM, 300, 400)
                .table();
        assertEquals(List.of("same destination, an upstream connection already open (pooled); also a candidate for"
                        + " 1 other stream"), shared.ambiguous().get(0).candidates().stream()
                .map(StreamTable.Candidate::reason).toList());
        StreamTable three = new Feed()
                .connection(eth0, 1, ep(POD, 40000), UPSTREAM, 0, 9000)
                .connection(lo, 0, ep(POD, 30000), UPSTREAM, 100, 200)
                .connection(lo, 0, ep(POD, 30001), UPSTREAM, 300, 400)
                .connection(lo, 0, ep(POD, 30002), UPSTREAM, 500, 600)
                .table();
        assertEquals(List.of("same destination, an upstream connection already open (pooled); also a candidate for"
                        + " 2 other streams"), three.ambiguous().get(0).candidates().stream()
                .map(StreamTable.Candidate::reason).toList());
    }

    /** Keys that come with the capture (a Decryption Secrets Block) after a TLS connection began cannot decrypt it. */
    @Test
    void aTlsConnectionThatBeganBeforeTheCapturesKeyLogSaysSo() throws Exception {
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        Feed feed = new Feed()
                .add(eth0, 0, 0, ip(ep(POD, 40000), UPSTREAM, SYN, 100, 0))
                .add(eth0, 0, 1, ip(UPSTREAM, ep(POD, 40000), SYN | ACK, 500, 101))
                .add(eth0, 0, 2, ip(ep(POD, 40000), UPSTREAM, PSH_ACK, 101, 501,
                        StitcherTest.clientHello("outbound_.8080_._.upstream.lab.svc.cluster.local", "istio")));
        feed.stitcher.addKeys(KeyLog.parse("the capture", ("CLIENT_RANDOM " + "ab".repeat(32) + " " + "cd".repeat(48)
                + "\n").getBytes(StandardCharsets.US_ASCII)));
        StreamSummary.Decryption decryption = feed.table().streams().get(0).decryption();
        assertEquals("no key log", decryption.status());
        assertEquals("the capture's key log comes after this connection began", decryption.detail());
    }

    /** The client's first bytes in sequence order across the wrap of the sequence space, retransmissions skipped. */
    @Test
    void aHelloIsReadAcrossTheSequenceWrapWithARetransmissionBetweenItsSegments() throws Exception {
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        FlowEndpoint client = ep(POD, 40000);
        byte[] hello = StitcherTest.clientHello("outbound_.8080_._.upstream.lab.svc.cluster.local", "istio");
        byte[] first = Arrays.copyOf(hello, 100);
        byte[] rest = Arrays.copyOfRange(hello, 100, hello.length);
        // The first segment ends at sequence 2^32: the next one starts at 0.
        long isn = 0x1_0000_0000L - 1 - first.length;
        StreamTable table = new Feed()
                .add(eth0, 0, 0, ip(client, UPSTREAM, SYN, isn, 0))
                .add(eth0, 0, 1, ip(client, UPSTREAM, PSH_ACK, isn + 1, 501, first))
                .add(eth0, 0, 2, ip(client, UPSTREAM, PSH_ACK, isn + 1, 501, first))
                .add(eth0, 0, 3, ip(client, UPSTREAM, PSH_ACK, 0, 501, rest))
                .table();
        StreamSummary.Tls tls = table.streams().get(0).tls();
        assertEquals("outbound_.8080_._.upstream.lab.svc.cluster.local", tls == null ? null : tls.sni(),
                table::describe);
    }

    /**
     * A client whose first 16 KiB are the start of a hello that never completes is told plaintext once 16 KiB have
     * come, whether the last segment ends exactly there or runs past.
     */
    @Test
    void sixteenKibibytesWithoutACompleteHelloArePlaintext() {
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        for (int segment : new int[] {1024, 1400}) {
            // A handshake record of 16384 bytes holding a ClientHello of 16380: 4 more than 16 KiB hold.
            byte[] bytes = new byte[12 * 1400];
            System.arraycopy(new byte[] {22, 3, 1, 0x40, 0, 1, 0, 0x3f, (byte) 0xfc}, 0, bytes, 0, 9);
            FlowEndpoint client = ep(POD, 40000 + segment);
            Feed feed = new Feed().add(eth0, 0, 0, ip(client, UPSTREAM, SYN, 100, 0));
            int sent = 0;
            for (int at = 0; at < 16 * 1024; at += segment) {
                feed.add(eth0, 0, 1 + at, ip(client, UPSTREAM, PSH_ACK, 101 + at, 501,
                        Arrays.copyOfRange(bytes, at, at + segment)));
                sent += segment;
            }
            StreamSummary stream = feed.table().streams().get(0);
            assertEquals(List.of("true", "null", String.valueOf(sent)), List.of(String.valueOf(stream.plaintext()),
                    String.valueOf(stream.tls()), String.valueOf(stream.bytesToServer())), "segments of " + segment);
        }
    }

    /**
     * Every byte of an address counts, and only a loopback destination on a capture port is a REDIRECT target: a
     * service listening on 15001 at another address is an ordinary destination.
     */
    @Test
    void addressesAreReadWholeAndOnlyLoopbackOnACapturePortIsRedirected() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        StreamTable table = new Feed()
                .connection(lo, 0, ep("10.1.2.3", 40000), ep("10.4.5.6", 15001), 0, 10)
                .connection(lo, 0, ep("10.1.2.3", 40001), ep("127.0.0.1", 15001), 20, 30)
                .table();
        assertEquals(List.of("10.1.2.3:40000 > 10.4.5.6:15001 outbound-plain",
                "10.1.2.3:40001 > 127.0.0.1:15001 redirected"), table.streams().stream()
                .map(s -> s.client() + " > " + s.server() + " " + s.leg()).toList());
    }

    /** Plaintext is news on an mTLS leg only: the app's own plaintext on lo is what lo always carries. */
    @Test
    void plaintextIsWarnedAboutOnMutualTlsLegsOnly() {
        CaptureInterface lo = iface(LinkType.EN10MB, "pod/lo", null);
        CaptureInterface eth0 = iface(LinkType.EN10MB, "pod/eth0", null);
        FlowEndpoint app = ep(POD, 30000);
        FlowEndpoint upstream = ep(POD, 40000);
        StreamTable table = new Feed()
                .add(lo, 0, 0, ip(app, UPSTREAM, SYN, 100, 0))
                .add(lo, 0, 1, ip(app, UPSTREAM, PSH_ACK, 101, 501, Packets.text("GET / HTTP/1.1\r\n\r\n")))
                .add(eth0, 1, 2, ip(upstream, UPSTREAM, SYN, 100, 0))
                .add(eth0, 1, 3, ip(upstream, UPSTREAM, PSH_ACK, 101, 501, Packets.text("GET / HTTP/1.1\r\n\r\n")))
                .table();
        assertEquals(List.of(true, true), table.streams().stream().map(StreamSummary::plaintext).toList());
        assertEquals(List.of("pod/eth0 (outbound-mtls): 1 of 1 connections carry plaintext, not TLS (stream 1): the"
                + " proxy sends plaintext upstream (a destination outside the mesh, or TLS disabled by a"
                + " DestinationRule), or these calls bypassed the proxy"), table.plaintextOnMutualTlsLegs());
    }
}
