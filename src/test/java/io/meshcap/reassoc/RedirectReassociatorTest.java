package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.FIN;
import static io.meshcap.reassoc.Packets.PSH_ACK;
import static io.meshcap.reassoc.Packets.RST;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static io.meshcap.reassoc.Packets.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.ReadBack;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.SectionInfo;
import io.meshcap.format.LinkType;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.packet.TcpSegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Re-association on hand-built records: the per-connection edge cases and the hold-back contract. */
class RedirectReassociatorTest {

    private static final FlowEndpoint APP = ep("198.18.0.2", 40000);
    private static final FlowEndpoint PORT_15001 = ep("127.0.0.1", 15001);
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);
    private static final FlowEndpoint OTHER_ORIG = ep("198.18.0.9", 9080);

    private static final String EXPLAINED_WHERE = "; this packet and the connection's other rewritten ones are on the"
            + " leg's interface marked (re-associated)";

    /** The output's interfaces: the legs, then those the re-associator declares; records are returned, not written. */
    private static final class Interfaces implements CaptureWriter {
        final List<CaptureInterface> declared = new ArrayList<>();

        Interfaces(CaptureInterface... legs) {
            declared.addAll(List.of(legs));
        }

        @Override
        public void describeSection(SectionInfo section) {
        }

        @Override
        public int addInterface(CaptureInterface captureInterface) {
            declared.add(captureInterface);
            return declared.size() - 1;
        }

        @Override
        public void write(CaptureBlock block) {
            throw new AssertionError("a transform returns its records");
        }

        @Override
        public void close() {
        }
    }

    /** Feeds records through a re-associator with interfaces of one link type and collects what it writes. */
    private static final class Run {
        final RedirectReassociator reassociator;
        final int linkType;
        final List<CaptureRecord> out = new ArrayList<>();
        /** Two legs, if0 and if1; re-associated interfaces from id 2. */
        final Interfaces interfaces;

        Run(int linkType, boolean keepOriginal, RedirectPorts ports) {
            this.linkType = linkType;
            this.interfaces = new Interfaces(leg(0), leg(1));
            this.reassociator = new RedirectReassociator(ports, keepOriginal, interfaces);
        }

        private CaptureInterface leg(int id) {
            return new CaptureInterface(linkType, 0, "if" + id, null);
        }

        Run(int linkType) {
            this(linkType, false, RedirectPorts.istioDefaults());
        }

        Run feed(int interfaceId, long micros, byte[] ipPacket) {
            out.addAll(reassociator.apply(leg(interfaceId), Packets.record(interfaceId, micros, link(linkType,
                    ipPacket))));
            return this;
        }

        Run feed(long micros, byte[] ipPacket) {
            return feed(0, micros, ipPacket);
        }

        List<CaptureRecord> finish() {
            out.addAll(reassociator.finish());
            return out;
        }

        TcpSegment segment(int index) {
            return TcpSegment.parse(linkType, out.get(index).data());
        }

        FlowEndpoint destination(int index) {
            TcpSegment segment = segment(index);
            return FlowEndpoint.of(segment.ip().destination(), segment.tcp().destinationPort());
        }
    }

    @Test
    void eachPodsLoLegUndoesItsOwnPodsRedirectPorts() {
        // Two pods of one selector: pod-a's rules redirect outbound to 15101, pod-b's to Istio's 15001.
        RedirectPortsByInterface ports = RedirectPortsByInterface.byLeg(Map.of(
                "pod-a/lo:outbound-plain", RedirectPorts.of(15101, null),
                "pod-b/lo:outbound-plain", RedirectPorts.of(15001, null)), RedirectPorts.istioDefaults());
        CaptureInterface podA = new CaptureInterface(LinkType.EN10MB, 0, "pod-a/lo:outbound-plain", null);
        CaptureInterface podB = new CaptureInterface(LinkType.EN10MB, 0, "pod-b/lo:outbound-plain", null);
        RedirectReassociator reassociator = new RedirectReassociator(ports, false, new Interfaces(podA, podB));
        FlowEndpoint port15101 = ep("127.0.0.1", 15101);
        List<CaptureRecord> out = new ArrayList<>();
        // pod-b sends to 15101 too, but that is not its REDIRECT port: it stays as captured.
        for (int id = 0; id < 2; id++) {
            CaptureInterface pod = id == 0 ? podA : podB;
            out.addAll(reassociator.apply(pod, Packets.record(id, 10 + id * 100,
                    link(LinkType.EN10MB, ip(APP, port15101, SYN, 1000, 0)))));
            out.addAll(reassociator.apply(pod, Packets.record(id, 20 + id * 100,
                    link(LinkType.EN10MB, ip(ORIG, APP, SYN | ACK, 5000, 1001)))));
            out.addAll(reassociator.apply(pod, Packets.record(id, 30 + id * 100,
                    link(LinkType.EN10MB, ip(APP, port15101, ACK, 1001, 5001)))));
        }
        out.addAll(reassociator.finish());

        List<FlowEndpoint> destinations = out.stream().map(r -> TcpSegment.parse(LinkType.EN10MB, r.data()))
                .map(s -> FlowEndpoint.of(s.ip().destination(), s.tcp().destinationPort())).toList();
        assertEquals(List.of(ORIG, APP, ORIG, port15101, APP, port15101), destinations);
        assertEquals(1, reassociator.stats().connections());
    }

    @ParameterizedTest
    @ValueSource(ints = {LinkType.EN10MB, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL})
    void theSynWaitsForTheSynAckAndEveryRequestPacketGetsTheOriginalDestination(int linkType) {
        Run run = new Run(linkType)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(10, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(20, ip(APP, PORT_15001, ACK, 1001, 5001))
                .feed(30, ip(APP, PORT_15001, PSH_ACK, 1001, 5001, text("GET / HTTP/1.1\r\n\r\n")));
        List<CaptureRecord> out = run.finish();
        assertEquals(4, out.size());
        for (int i : new int[] {0, 2, 3}) {
            assertEquals(ORIG, run.destination(i), "packet " + i);
            assertTrue(run.segment(i).checksumValid(), "TCP checksum of packet " + i);
        }
        assertEquals("meshcap: destination 127.0.0.1:15001 rewritten to 198.18.0.1:8080, the original destination"
                + " shown by the reply direction (the handshake's seq/ack confirm it); iptables REDIRECT had sent it to"
                + " the sidecar's outbound capture port; IP and TCP checksums recomputed" + EXPLAINED_WHERE,
                ReadBack.comment(out.get(0)));
        assertNull(ReadBack.comment(out.get(2)), "explained once per connection");
        assertNull(ReadBack.comment(out.get(3)));
        assertNull(ReadBack.comment(out.get(1)), "replies pass untouched");
        assertEquals(List.of(2, 0, 2, 2), out.stream().map(CaptureRecord::interfaceId).toList(),
                "rewritten packets on the leg's re-associated interface, declared once");
        assertEquals(new CaptureInterface(linkType, 0, "if0 (re-associated)", "re-associated=the packets of this leg"
                + " whose destination meshcap put back to the original one (iptables REDIRECT had sent them to the"
                + " sidecar); the other packets of their connections are on the leg's own interface"),
                run.interfaces.declared.get(2));
        assertEquals(3, run.interfaces.declared.size());
        assertEquals(List.of(0L, 10_000L, 20_000L, 30_000L), out.stream().map(CaptureRecord::timestampNanos).toList());
        assertEquals(new ReassociationStats(1, 3, 0, 0), run.reassociator.stats());
    }

    @Test
    void heldRecordsKeepTheirPlaceAmongOtherConnectionsRecords() {
        FlowEndpoint inboundClient = ep("127.0.0.6", 50000);
        FlowEndpoint app = ep("198.18.0.2", 8080);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1, 0))
                .feed(1, ip(inboundClient, app, SYN, 7, 0))
                .feed(2, ip(app, inboundClient, SYN | ACK, 9, 8));
        assertTrue(run.out.isEmpty(), "everything waits behind the held SYN");
        run.feed(3, ip(ORIG, APP, SYN | ACK, 100, 2));
        assertEquals(4, run.out.size());
        assertEquals(List.of(0L, 1000L, 2000L, 3000L), run.out.stream().map(CaptureRecord::timestampNanos).toList());
        assertEquals(ORIG, run.destination(0));
        assertEquals(app, run.destination(1));
    }

    @Test
    void aNewSynOnTheSamePortStartsANewMapping() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(2, ip(APP, PORT_15001, FIN | ACK, 1001, 5001))
                .feed(3, ip(ORIG, APP, FIN | ACK, 5001, 1002))
                .feed(4, ip(APP, PORT_15001, ACK, 1002, 5002))
                .feed(100, ip(APP, PORT_15001, SYN, 90000, 0))
                .feed(101, ip(OTHER_ORIG, APP, SYN | ACK, 7000, 90001))
                .feed(102, ip(APP, PORT_15001, ACK, 90001, 7001));
        run.finish();
        assertEquals(List.of(ORIG, ORIG, ORIG, OTHER_ORIG, OTHER_ORIG),
                List.of(run.destination(0), run.destination(2), run.destination(4), run.destination(5),
                        run.destination(7)));
        assertEquals(2, run.reassociator.stats().connections());
    }

    /**
     * What the kernel does when the app reuses its port 9908 for another destination while conntrack still tracks
     * its reset connection from that port (as recorded in the lab, see ReassociationLabTest): the new request
     * direction leaves with another source port, 17009, while the replies go to 9908.
     */
    @Test
    void aSourcePortConntrackChangedIsFoundByTheSynAckAndUndoneToo() {
        FlowEndpoint app = ep("198.18.0.2", 9908);
        FlowEndpoint translated = ep("198.18.0.2", 17009);
        FlowEndpoint second = ep("198.18.0.1", 9080);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(app, PORT_15001, SYN, 1000, 0))
                .feed(20, ip(ORIG, app, SYN | ACK, 5000, 1001))
                .feed(40, ip(app, PORT_15001, ACK, 1001, 5001))
                .feed(203_000, ip(app, PORT_15001, RST | ACK, 1001, 5001))
                .feed(1_207_000, ip(translated, PORT_15001, SYN, 7000, 0))
                .feed(1_207_020, ip(second, app, SYN | ACK, 3000, 7001))
                .feed(1_207_040, ip(translated, PORT_15001, ACK, 7001, 3001))
                .feed(1_207_400, ip(translated, PORT_15001, PSH_ACK, 7001, 3001, text("hello\n")))
                .feed(1_207_410, ip(second, app, ACK, 3001, 7007))
                .feed(1_207_500, ip(translated, PORT_15001, FIN | ACK, 7007, 3001))
                .feed(1_211_000, ip(second, app, FIN | ACK, 3001, 7008))
                .feed(1_211_010, ip(translated, PORT_15001, ACK, 7008, 3002));
        List<CaptureRecord> out = run.finish();
        assertEquals(12, out.size());
        for (int i : new int[] {4, 6, 7, 9, 11}) {
            TcpSegment segment = run.segment(i);
            assertEquals(app, FlowEndpoint.of(segment.ip().source(), segment.tcp().sourcePort()), "packet " + i);
            assertEquals(second, run.destination(i), "packet " + i);
            assertTrue(segment.checksumValid(), "packet " + i);
        }
        assertEquals(ORIG, run.destination(3), "the reset connection keeps its own destination");
        assertEquals("meshcap: destination 127.0.0.1:15001 rewritten to 198.18.0.1:9080 and source port 17009"
                + " rewritten to 9908, the original destination and the app's port shown by the reply direction (the"
                + " handshake's seq/ack confirm it); iptables REDIRECT had sent it to the sidecar's outbound capture"
                + " port, and conntrack had given it source port 17009 because an earlier connection from port 9908"
                + " to that port was still tracked (by default 10 s after a reset, 120 s after a close); IP and TCP"
                + " checksums recomputed" + EXPLAINED_WHERE, ReadBack.comment(out.get(4)));
        assertNull(ReadBack.comment(out.get(6)));
        assertEquals(new ReassociationStats(2, 8, 0, 0), run.reassociator.stats());
    }

    @Test
    void aChangedSourcePortIsUndoneAlsoAfterTheEarlierConnectionWasForgotten() {
        FlowEndpoint app = ep("198.18.0.2", 9908);
        FlowEndpoint translated = ep("198.18.0.2", 53666);
        long later = (ConnectionTable.CLOSED_LINGER_SECONDS + 30) * 1_000_000L;
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(app, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, app, SYN | ACK, 5000, 1001))
                .feed(2, ip(app, PORT_15001, FIN | ACK, 1001, 5001))
                .feed(3, ip(ORIG, app, FIN | ACK, 5001, 1002))
                .feed(4, ip(app, PORT_15001, ACK, 1002, 5002))
                .feed(later, ip(translated, PORT_15001, SYN, 7000, 0))
                .feed(later + 20, ip(OTHER_ORIG, app, SYN | ACK, 3000, 7001))
                .feed(later + 40, ip(translated, PORT_15001, ACK, 7001, 3001));
        run.finish();
        assertEquals(1, run.reassociator.stats().forgotten(), "the earlier connection was forgotten");
        for (int i : new int[] {5, 7}) {
            assertEquals(9908, run.segment(i).tcp().sourcePort());
            assertEquals(OTHER_ORIG, run.destination(i));
        }
    }

    @Test
    void aRetransmittedSynKeepsTheMapping() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(2, ip(APP, PORT_15001, SYN, 1000, 0));
        run.finish();
        assertEquals(ORIG, run.destination(2));
        assertEquals(1, run.reassociator.stats().connections());
    }

    @Test
    void aCaptureThatStartsMidConnectionLearnsFromTheFirstReply() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, PSH_ACK, 2000, 6000, text("more request")))
                .feed(5, ip(ORIG, APP, ACK, 6000, 2012))
                .feed(9, ip(APP, PORT_15001, ACK, 2012, 6000));
        List<CaptureRecord> out = run.finish();
        assertEquals(ORIG, run.destination(0));
        assertEquals(ORIG, run.destination(2));
        assertTrue(ReadBack.comment(out.get(0)).contains("learned from the first reply"), ReadBack.comment(out.get(0)));
    }

    @Test
    void aSynAckThatDoesNotAcknowledgeOurSynTeachesNothing() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(OTHER_ORIG, APP, SYN | ACK, 5000, 424242))
                .feed(2, ip(ORIG, APP, SYN | ACK, 5000, 1001));
        run.finish();
        assertEquals(ORIG, run.destination(0));
    }

    @Test
    void aResetAnswersTheSynAndRevealsTheDestination() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, RST | ACK, 0, 1001));
        run.finish();
        assertEquals(ORIG, run.destination(0));
    }

    @Test
    void requestsWhoseRepliesWereNeverCapturedAreReleasedUnchangedAfterTheBound() {
        long bound = RedirectReassociator.HOLD_MILLIS * 1000L;
        FlowEndpoint other = ep("198.18.0.2", 41000);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(bound / 2, ip(other, ORIG, ACK, 1, 1));
        assertTrue(run.out.isEmpty(), "still within the bound");
        run.feed(bound + 1, ip(other, ORIG, ACK, 1, 1));
        assertEquals(3, run.out.size(), "the bound passed: the held SYN and what queued behind it");
        assertEquals(PORT_15001, run.destination(0));
        assertTrue(ReadBack.comment(run.out.get(0)).contains("original destination is unknown"), ReadBack.comment(run.out.get(0)));
        assertTrue(ReadBack.comment(run.out.get(0)).contains("within " + RedirectReassociator.HOLD_MILLIS + " ms"));
        run.feed(bound + 2, ip(APP, PORT_15001, ACK, 1001, 1));
        assertEquals(4, run.out.size(), "once given up, later request packets are not held");
        assertTrue(ReadBack.comment(run.out.get(3)).contains("original destination is unknown"));
        assertEquals(new ReassociationStats(1, 0, 2, 0), run.reassociator.stats());
    }

    @Test
    void whatIsStillHeldAtTheEndIsWrittenUnchangedByFinish() {
        Run run = new Run(LinkType.EN10MB).feed(0, ip(APP, PORT_15001, SYN, 1000, 0));
        assertTrue(run.out.isEmpty());
        List<CaptureRecord> out = run.finish();
        assertEquals(1, out.size());
        assertEquals(PORT_15001, run.destination(0));
        assertTrue(ReadBack.comment(out.get(0)).contains("before the capture ended"), ReadBack.comment(out.get(0)));
    }

    @Test
    void theSelfCallPathThroughTheInboundPortIsUndoneToo() {
        FlowEndpoint proxy = ep("198.18.0.2", 42000);
        FlowEndpoint port15006 = ep("127.0.0.1", IstioDefaults.INBOUND_CAPTURE_PORT);
        FlowEndpoint ownApp = ep("198.18.0.2", 8080);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(proxy, port15006, SYN, 1, 0))
                .feed(1, ip(ownApp, proxy, SYN | ACK, 50, 2));
        List<CaptureRecord> out = run.finish();
        assertEquals(ownApp, run.destination(0));
        assertTrue(ReadBack.comment(out.get(0)).contains("inbound capture port"), ReadBack.comment(out.get(0)));
    }

    @Test
    void anInboundPortTheRulesNameIsTheOneUndone() {
        FlowEndpoint proxy = ep("198.18.0.2", 42000);
        FlowEndpoint custom = ep("127.0.0.1", 15222);
        FlowEndpoint ownApp = ep("198.18.0.2", 8080);
        Run run = new Run(LinkType.EN10MB, false, RedirectPorts.of(IstioDefaults.OUTBOUND_CAPTURE_PORT, 15222))
                .feed(0, ip(proxy, custom, SYN, 1, 0))
                .feed(1, ip(ownApp, proxy, SYN | ACK, 50, 2));
        run.finish();
        assertEquals(ownApp, run.destination(0));
    }

    @Test
    void stateIsPerInterfaceSoSeveralPodsLoLegsDoNotMix() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, 0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, 1, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(0, 2, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(1, 3, ip(OTHER_ORIG, APP, SYN | ACK, 5000, 1001));
        run.finish();
        assertEquals(ORIG, run.destination(0));
        assertEquals(OTHER_ORIG, run.destination(1));
    }

    @Test
    void ipv6UsesTheIpv6LoopbackAndThePseudoHeader() {
        FlowEndpoint app = ep("2001:2::2", 40000);
        FlowEndpoint orig = ep("2001:2::1", 8080);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(app, ep("::1", 15001), SYN, 1, 0))
                .feed(1, ip(orig, app, SYN | ACK, 9, 2))
                .feed(2, ip(app, ep("::1", 15001), PSH_ACK, 2, 10, text("hello")));
        run.finish();
        assertEquals(orig, run.destination(0));
        assertEquals(orig, run.destination(2));
        assertTrue(run.segment(2).checksumValid());
    }

    @Test
    void keepOriginalWritesTheCapturedPacketBeforeTheRewrittenOne() {
        Run run = new Run(LinkType.EN10MB, true, RedirectPorts.istioDefaults())
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001));
        List<CaptureRecord> out = run.finish();
        assertEquals(3, out.size());
        assertEquals(PORT_15001, run.destination(0));
        assertTrue(ReadBack.comment(out.get(0)).contains("kept by --keep-original"));
        assertEquals(ORIG, run.destination(1));
        assertEquals(ORIG.port(), run.segment(1).tcp().destinationPort());
    }

    @Test
    void aPacketsOwnOptionsStayAndMeshcapsNoteFollowsThem() {
        CaptureInterface lo = new CaptureInterface(LinkType.EN10MB, 0, "lo", null);
        RedirectReassociator reassociator = new RedirectReassociator(RedirectPorts.istioDefaults(), false,
                new Interfaces(lo));
        reassociator.apply(lo, Packets.record(0, 0, link(LinkType.EN10MB, ip(APP, PORT_15001, SYN, 1000, 0))));
        reassociator.apply(lo, Packets.record(0, 1, link(LinkType.EN10MB, ip(ORIG, APP, SYN | ACK, 5000, 1001))));
        CaptureRecord commented = Packets.record(0, 2, link(LinkType.EN10MB, ip(APP, PORT_15001, ACK, 1001, 5001)))
                .plusComment("the analyst's own note");
        CaptureRecord out = reassociator.apply(lo, commented).get(0);
        assertEquals(List.of("the analyst's own note"), out.comments());
        assertEquals(1, out.interfaceId());
        assertEquals(ORIG.port(), TcpSegment.parse(LinkType.EN10MB, out.data()).tcp().destinationPort());
    }

    @Test
    void aNonDefaultOutboundPortIsHonouredAndTheDefaultIsThenLeftAlone() {
        FlowEndpoint custom = ep("127.0.0.1", 15101);
        Run run = new Run(LinkType.EN10MB, false, RedirectPorts.of(15101, null))
                .feed(0, ip(APP, custom, SYN, 1, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 9, 2))
                .feed(2, ip(ep("198.18.0.2", 40001), PORT_15001, SYN, 1, 0))
                .feed(3, ip(PORT_15001, ep("198.18.0.2", 40001), SYN | ACK, 9, 2));
        run.finish();
        assertEquals(ORIG, run.destination(0));
        assertEquals(PORT_15001, run.destination(2));
    }

    @Test
    void aTruncatedPacketGetsAnIncrementalChecksumUpdate() {
        byte[] full = link(LinkType.EN10MB, ip(APP, PORT_15001, PSH_ACK, 2, 10, new byte[200]));
        TcpSegment original = TcpSegment.parse(LinkType.EN10MB, full);
        original.tcp().setChecksum(original.tcp().computeChecksum(original.ip(), original.ip().transportLength()));
        byte[] cut = Arrays.copyOf(full, 100);
        CaptureInterface en10mb = new CaptureInterface(LinkType.EN10MB, 100, "lo", null);
        RedirectReassociator reassociator = new RedirectReassociator(RedirectPorts.istioDefaults(), false,
                new Interfaces(en10mb));
        assertTrue(reassociator.apply(en10mb, new CaptureRecord(0, 0, full.length, cut)).isEmpty());
        CaptureRecord rewritten = reassociator.apply(en10mb,
                Packets.record(0, 1, link(LinkType.EN10MB, ip(ORIG, APP, ACK, 10, 202)))).get(0);
        assertTrue(ReadBack.comment(rewritten).contains("adjusted for the changed fields only"), ReadBack.comment(rewritten));

        // The adjusted checksum equals what a full computation over the whole rewritten packet gives.
        byte[] wholeRewritten = full.clone();
        TcpSegment.parse(LinkType.EN10MB, wholeRewritten).rewrite(APP.port(), ORIG.address(), ORIG.port());
        assertEquals(TcpSegment.parse(LinkType.EN10MB, wholeRewritten).tcp().checksum(),
                TcpSegment.parse(LinkType.EN10MB, rewritten.data()).tcp().checksum());
        assertEquals(full.length, rewritten.originalLength());
    }

    @Test
    void closedConnectionsAreForgottenSoTheTableStaysBounded() {
        Run run = new Run(LinkType.EN10MB);
        long second = 1_000_000;
        int connections = 200;
        for (int i = 0; i < connections; i++) {
            FlowEndpoint app = ep("198.18.0.2", 30000 + i);
            long t = i * second;
            run.feed(t, ip(app, PORT_15001, SYN, 1, 0))
                    .feed(t + 1, ip(ORIG, app, SYN | ACK, 9, 2))
                    .feed(t + 2, ip(app, PORT_15001, RST, 2, 0));
        }
        run.finish();
        ReassociationStats stats = run.reassociator.stats();
        assertEquals(connections, stats.connections());
        assertTrue(stats.forgotten() >= connections - ConnectionTable.CLOSED_LINGER_SECONDS - 2,
                "closed connections are dropped after the linger: " + stats);
    }

    @Test
    void damagedPacketsNeverBreakTheStreamAndComeOutAsMany() {
        Random random = new Random(1);
        CaptureInterface lo = new CaptureInterface(LinkType.EN10MB, 0, "lo", null);
        RedirectReassociator reassociator = new RedirectReassociator(RedirectPorts.istioDefaults(), false,
                new Interfaces(lo));
        Stitcher stitcher = new Stitcher(RedirectPorts.istioDefaults());
        int written = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] frame = new byte[random.nextInt(120)];
            random.nextBytes(frame);
            if (frame.length > 24) {
                // Mostly plausible headers: IPv4 or IPv6 ethertype, the right version nibble, TCP.
                boolean ipv6 = random.nextBoolean();
                frame[12] = (byte) (ipv6 ? 0x86 : 0x08);
                frame[13] = (byte) (ipv6 ? 0xdd : 0x00);
                frame[14] = (byte) (ipv6 ? 0x60 : 0x45);
                frame[ipv6 ? 20 : 23] = 6;
                if (!ipv6 && frame.length > 54 && random.nextInt(3) == 0) {
                    // Toward 127.0.0.1:15001, so the request path and the hold-back see garbage too.
                    System.arraycopy(new byte[] {127, 0, 0, 1}, 0, frame, 30, 4);
                    frame[36] = (byte) (15001 >>> 8);
                    frame[37] = (byte) 15001;
                }
            }
            CaptureRecord record = Packets.record(0, i, frame);
            for (CaptureRecord out : reassociator.apply(lo, record)) {
                stitcher.apply(lo, out);
                written++;
            }
        }
        written += reassociator.finish().size();
        assertEquals(20_000, written);
        assertNotNull(stitcher.table());
    }

    @Test
    void packetsThatAreNotTcpPassUntouched() {
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        RedirectReassociator reassociator = new RedirectReassociator(RedirectPorts.istioDefaults(), false,
                new Interfaces());
        CaptureRecord record = Packets.record(0, 0, arp);
        assertEquals(List.of(record),
                reassociator.apply(new CaptureInterface(LinkType.EN10MB, 0, "lo", null), record));
    }

    /** A held record waits until a record more than 500 ms later comes: one exactly 500 ms later is not past it. */
    @Test
    void aRecordExactlyAtTheTimeBoundLeavesTheHeldRecordWaiting() {
        FlowEndpoint other = ep("198.18.0.2", 41000);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(500_000, ip(other, ORIG, ACK, 1, 1));
        assertEquals(List.of(), run.out);
        run.feed(500_001, ip(ORIG, APP, SYN | ACK, 5000, 1001));
        assertEquals(3, run.out.size());
        assertEquals(ORIG, run.destination(0));
    }

    /** 65,536 records queued (the held one among them) are within the bound; the held SYN still gets its reply. */
    @Test
    void exactlyTheRecordBoundQueuedLeavesTheHeldRecordWaiting() {
        FlowEndpoint other = ep("198.18.0.2", 41000);
        Run run = new Run(LinkType.EN10MB).feed(0, ip(APP, PORT_15001, SYN, 1000, 0));
        byte[] unrelated = ip(other, ORIG, ACK, 1, 1);
        for (int i = 1; i < 65_536; i++) {
            run.feed(1, unrelated);
        }
        assertEquals(List.of(), run.out);
        run.feed(2, ip(ORIG, APP, SYN | ACK, 5000, 1001));
        assertEquals(65_537, run.out.size());
        assertEquals(ORIG, run.destination(0));
    }

    /**
     * Records queued behind a held one count their bytes while they wait and no more once written: 9 MiB held and
     * released leave the next held SYN its whole 16 MiB, and 18 MiB behind one give it up.
     */
    @Test
    void theBytesQueuedBehindAHeldRecordCountOnlyWhileTheyWait() {
        FlowEndpoint other = ep("198.18.0.2", 41000);
        byte[] big = ip(other, ORIG, PSH_ACK, 1, 1, new byte[60_000]);
        Run run = new Run(LinkType.EN10MB).feed(0, ip(APP, PORT_15001, SYN, 1000, 0));
        for (int i = 0; i < 150; i++) {
            run.feed(1, big);
        }
        run.feed(2, ip(ORIG, APP, SYN | ACK, 5000, 1001));
        assertEquals(ORIG, run.destination(0));
        FlowEndpoint second = ep("198.18.0.2", 40001);
        run.feed(10, ip(second, PORT_15001, SYN, 1000, 0))
                .feed(11, ip(other, ORIG, ACK, 1, 1))
                .feed(12, ip(ORIG, second, SYN | ACK, 5000, 1001));
        assertEquals(ORIG, run.destination(152), "the second connection's SYN, after 9 MiB released");

        FlowEndpoint third = ep("198.18.0.2", 40002);
        int before = run.out.size();
        run.feed(20, ip(third, PORT_15001, SYN, 1000, 0));
        for (int i = 0; i < 300; i++) {
            run.feed(21, big);
        }
        run.feed(22, ip(ORIG, third, SYN | ACK, 5000, 1001));
        assertEquals(PORT_15001, run.destination(before), "the third connection's SYN, given up past 16 MiB");
        assertTrue(ReadBack.comment(run.out.get(before)).contains("original destination is unknown"),
                ReadBack.comment(run.out.get(before)));
    }

    /** A SYN whose sequence number is 0 is a handshake all the same: the SYN-ACK confirms the mapping. */
    @Test
    void aSynWithSequenceNumberZeroIsConfirmedByItsSynAck() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 0, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1));
        assertEquals(ORIG, run.destination(0));
        assertEquals("meshcap: destination 127.0.0.1:15001 rewritten to 198.18.0.1:8080, the original destination"
                + " shown by the reply direction (the handshake's seq/ack confirm it); iptables REDIRECT had sent it to"
                + " the sidecar's outbound capture port; IP and TCP checksums recomputed" + EXPLAINED_WHERE,
                ReadBack.comment(run.out.get(0)));
    }

    /** A request whose reply never came is written as captured, saying which destination stayed and why. */
    @Test
    void aRequestGivenUpOnNamesTheDestinationItKept() {
        List<CaptureRecord> out = new Run(LinkType.EN10MB).feed(0, ip(APP, PORT_15001, SYN, 1000, 0)).finish();
        assertEquals("meshcap: destination 127.0.0.1:15001 left unchanged: the original destination is unknown (no"
                + " reply of this connection was captured before the capture ended)", ReadBack.comment(out.get(0)));
    }

    /**
     * A connection is forgotten only once closed for 60 s of capture time or quiet for 600 s: an open one quiet for
     * 61 s, and one that began over 600 s ago but spoke 11 s before, keep their mapping.
     */
    @Test
    void anOpenConnectionKeepsItsMappingUntilItIsQuietForTheIdleLimit() {
        long second = 1_000_000;
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(61 * second, ip(APP, PORT_15001, PSH_ACK, 1001, 5001, text("GET / HTTP/1.1\r\n\r\n")))
                .feed(590 * second, ip(ORIG, APP, ACK, 5001, 1019))
                .feed(601 * second, ip(APP, PORT_15001, ACK, 1019, 5001));
        run.finish();
        assertEquals(List.of(ORIG, APP, ORIG, APP, ORIG), List.of(run.destination(0), run.destination(1),
                run.destination(2), run.destination(3), run.destination(4)));
        assertEquals(new ReassociationStats(1, 3, 0, 0), run.reassociator.stats());
    }

    /** A client FIN alone half-closes the connection: 60 s later its mapping still holds. */
    @Test
    void aHalfClosedConnectionKeepsItsMapping() {
        long second = 1_000_000;
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(2, ip(APP, PORT_15001, FIN | ACK, 1001, 5001))
                .feed(3, ip(ORIG, APP, ACK, 5001, 1002))
                .feed(62 * second, ip(ORIG, APP, PSH_ACK, 5001, 1002, text("late")))
                .feed(63 * second, ip(APP, PORT_15001, ACK, 1002, 5005));
        run.finish();
        assertEquals(ORIG, run.destination(5));
        assertEquals(new ReassociationStats(1, 3, 0, 0), run.reassociator.stats());
    }

    /**
     * A forgotten connection takes its reply flow with it: the app's own port, later connected without a changed
     * port to the same destination, is mapped by its own SYN-ACK, not by the forgotten connection's replies.
     */
    @Test
    void aForgottenConnectionsReplyFlowMapsNoLaterConnection() {
        FlowEndpoint app = ep("198.18.0.2", 9908);
        FlowEndpoint translated = ep("198.18.0.2", 17009);
        FlowEndpoint second = ep("198.18.0.1", 9080);
        long later = 62_300_000;
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(app, PORT_15001, SYN, 1000, 0))
                .feed(20, ip(ORIG, app, SYN | ACK, 5000, 1001))
                .feed(40, ip(app, PORT_15001, ACK, 1001, 5001))
                .feed(203_000, ip(app, PORT_15001, RST | ACK, 1001, 5001))
                .feed(1_207_000, ip(translated, PORT_15001, SYN, 7000, 0))
                .feed(1_207_020, ip(second, app, SYN | ACK, 3000, 7001))
                .feed(1_207_040, ip(translated, PORT_15001, ACK, 7001, 3001))
                .feed(1_207_500, ip(translated, PORT_15001, FIN | ACK, 7001, 3001))
                .feed(1_211_000, ip(second, app, FIN | ACK, 3001, 7002))
                .feed(1_211_010, ip(translated, PORT_15001, ACK, 7002, 3002))
                .feed(later, ip(app, PORT_15001, SYN, 9000, 0))
                .feed(later + 20, ip(second, app, SYN | ACK, 4000, 9001));
        run.finish();
        assertEquals(second, run.destination(10));
        assertEquals(9908, run.segment(10).tcp().sourcePort());
        assertEquals(new ReassociationStats(3, 8, 0, 2), run.reassociator.stats());
    }

    /** A live stream's time passing the bound gives the held record up just as a later record would. */
    @Test
    void timePassingTheBoundOnALiveStreamGivesUpTheHeldRecord() {
        Run run = new Run(LinkType.EN10MB);
        assertEquals(List.of(), run.reassociator.advance(1_000_000_000L), "nothing held");
        run.feed(0, ip(APP, PORT_15001, SYN, 1000, 0));
        assertEquals(List.of(), run.reassociator.advance(500_000_000L));
        List<CaptureRecord> released = run.reassociator.advance(500_000_001L);
        assertEquals(1, released.size());
        assertEquals("meshcap: destination 127.0.0.1:15001 left unchanged: the original destination is unknown (no"
                + " reply of this connection was captured within 500 ms)", ReadBack.comment(released.get(0)));
    }

    /** A new SYN from the port of a connection still waiting for its first reply gives that connection up. */
    @Test
    void aConnectionWhosePortIsReusedBeforeAnyReplyIsGivenUp() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(10, ip(APP, PORT_15001, SYN, 7000, 0))
                .feed(20, ip(OTHER_ORIG, APP, SYN | ACK, 3000, 7001));
        run.finish();
        assertEquals(PORT_15001, run.destination(0));
        assertEquals("meshcap: destination 127.0.0.1:15001 left unchanged: the original destination is unknown (a"
                + " new connection reused the client port before any reply of this one was captured)",
                ReadBack.comment(run.out.get(0)));
        assertEquals(OTHER_ORIG, run.destination(1));
        assertEquals(new ReassociationStats(2, 1, 1, 0), run.reassociator.stats());
    }

    @Test
    void aConnectionCaughtMidStreamIsCountedOnce() {
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, PSH_ACK, 2000, 6000, text("more request")))
                .feed(5, ip(ORIG, APP, ACK, 6000, 2012))
                .feed(9, ip(APP, PORT_15001, ACK, 2012, 6000));
        run.finish();
        assertEquals(new ReassociationStats(1, 2, 0, 0), run.reassociator.stats());
    }

    /** One client port in use toward both REDIRECT ports at once: each reply teaches its own connection. */
    @Test
    void aClientPortUsedTowardBothRedirectPortsKeepsTwoMappings() {
        FlowEndpoint port15006 = ep("127.0.0.1", 15006);
        FlowEndpoint ownApp = ep("198.18.0.2", 9080);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(2, ip(APP, port15006, SYN, 8000, 0))
                .feed(3, ip(ownApp, APP, SYN | ACK, 9000, 8001))
                .feed(4, ip(APP, PORT_15001, ACK, 1001, 5001))
                .feed(5, ip(APP, port15006, ACK, 8001, 9001))
                .feed(6, ip(ownApp, APP, PSH_ACK, 9001, 8001, text("hi")))
                .feed(7, ip(ORIG, APP, PSH_ACK, 5001, 1001, text("hello")));
        run.finish();
        assertEquals(List.of(ORIG, APP, ownApp, APP, ORIG, ownApp, APP, APP), List.of(run.destination(0),
                run.destination(1), run.destination(2), run.destination(3), run.destination(4), run.destination(5),
                run.destination(6), run.destination(7)));
        assertEquals(new ReassociationStats(2, 4, 0, 0), run.reassociator.stats());
    }

    /** Many connections at once, each to its own destination: none takes another's mapping. */
    @Test
    void twoHundredConcurrentConnectionsKeepTheirOwnDestinations() {
        Run run = new Run(LinkType.EN10MB);
        int connections = 200;
        for (int i = 0; i < connections; i++) {
            run.feed(i, ip(ep("198.18.0.2", 30000 + i), PORT_15001, SYN, 1000L * i, 0));
        }
        for (int i = 0; i < connections; i++) {
            run.feed(1000 + i, ip(ep("198.18.1." + (i % 250), 8000 + i), ep("198.18.0.2", 30000 + i), SYN | ACK, 5000,
                    1000L * i + 1));
        }
        run.finish();
        for (int i = 0; i < connections; i++) {
            assertEquals(ep("198.18.1." + (i % 250), 8000 + i), run.destination(i), "connection " + i);
        }
    }

    /** A rewritten packet goes to the re-associated interface of its own leg. */
    @Test
    void rewrittenPacketsGoToTheirOwnLegsReassociatedInterface() {
        Run run = new Run(LinkType.EN10MB)
                .feed(1, 0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, 1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(0, 2, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(0, 3, ip(OTHER_ORIG, APP, SYN | ACK, 5000, 1001));
        run.finish();
        assertEquals(List.of("if1 (re-associated)", "if1", "if0 (re-associated)", "if0"),
                run.out.stream().map(record -> run.interfaces.declared.get(record.interfaceId()).name()).toList());
    }

    /**
     * A closed connection is forgotten once its last packet is 60 s old, to the microsecond; a packet of it after
     * that is a connection seen for the first time, whose request waits for a reply again.
     */
    @Test
    void aClosedConnectionIsForgottenSixtySecondsAfterItsLastPacket() {
        FlowEndpoint later = ep("198.18.0.2", 40001);
        Run run = new Run(LinkType.EN10MB)
                .feed(0, ip(APP, PORT_15001, SYN, 1000, 0))
                .feed(1, ip(ORIG, APP, SYN | ACK, 5000, 1001))
                .feed(2, ip(APP, PORT_15001, RST, 1001, 0))
                .feed(30_000_000, ip(later, PORT_15001, SYN, 1000, 0))
                .feed(30_000_001, ip(ORIG, later, SYN | ACK, 5000, 1001))
                .feed(30_000_002, ip(later, PORT_15001, RST, 1001, 0))
                .feed(60_000_002, ip(ep("198.18.0.2", 41000), ORIG, ACK, 1, 1));
        assertEquals(1, run.reassociator.stats().forgotten());
        run.feed(60_000_003, ip(APP, PORT_15001, ACK, 1001, 5001));
        run.finish();
        assertEquals(PORT_15001, run.destination(7), "the stray packet after its connection was forgotten");
        assertEquals(new ReassociationStats(3, 4, 1, 1), run.reassociator.stats());
    }
}
