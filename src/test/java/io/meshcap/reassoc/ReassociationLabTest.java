package io.meshcap.reassoc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.cli.CliRun;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.lab.Endpoint;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabHttp;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.lab.Recording;
import io.meshcap.reassoc.TsharkViews.Conversation;
import io.meshcap.reassoc.TsharkViews.Follow;
import io.meshcap.net.Addresses;
import io.meshcap.packet.TcpSegment;
import io.meshcap.packet.TcpSegment.ChecksumUpdate;
import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The acceptance of re-association, on real captures of the lab's pod lo (Istio's rules, a sidecar as uid 1337,
 * IPv4 and IPv6) judged by tshark against the lab's ledger of what every socket saw.
 */
class ReassociationLabTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withIpv6(true));

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    @TempDir
    static Path dir;

    private static Ledger ledger;
    private static Ledger secondLedger;
    private static Path lo;
    private static Path secondLo;
    private static Path reassociated;
    private static String summary;

    @BeforeAll
    static void recordAndReassociate() throws Exception {
        String pod = LAB.topology().podNamespace();
        try (Recording recording = LAB.record(pod, "lo", dir.resolve("lo.pcap"))) {
            ledger = LAB.traffic(2, 3);
            recording.stop();
            lo = recording.file();
        }
        try (Recording recording = LAB.record(pod, "lo", dir.resolve("lo-second.pcap"))) {
            secondLedger = LAB.traffic(0, 2);
            recording.stop();
            secondLo = recording.file();
        }
        assertTrue(ledger.allVerified() && secondLedger.allVerified(), ledger::toJson);
        reassociated = dir.resolve("lo-reassociated.pcapng");
        CliRun run = CliRun.of("reassociate", lo.toString(), "-o", reassociated.toString());
        assertEquals(0, run.exitCode(), run::toString);
        summary = run.err();
    }

    @Test
    void everyApplicationConnectionIsOneConversationWithFramesBothWays() {
        assertConversationsMatch(reassociated, ledger);
    }

    @Test
    void followTcpStreamReconstructsBothDirectionsOfEveryOutboundConnection() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            int stream = TsharkViews.streamFrom(reassociated, entry.client().address(), entry.client().port());
            Follow follow = TsharkViews.follow(reassociated, stream);
            assertEquals(entry.client().toString(), follow.node0(), follow.text());
            assertEquals(entry.destination().toString(), follow.node1(), "the original destination, not 15001");
            assertEquals(entry.requestBytes(), follow.bytesFromNode0(), "the whole request");
            assertTrue(follow.bytesFromNode1() > entry.responseBytes(), "the answer's head and the whole echo");
            assertTrue(follow.text().contains("meshcap-lab connection " + entry.id() + " outbound"), follow.text());
        }
    }

    /** The display filter docs/reassociation.md gives for every rewritten packet. */
    private static final String REWRITTEN = "frame.interface_name contains \"(re-associated)\"";

    @Test
    void noRewrittenPacketHasABadChecksum() {
        String rewritten = REWRITTEN;
        List<String> validate = List.of("-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE");
        int total = tsharkCount(reassociated, rewritten, validate);
        assertEquals(total, tsharkCount(reassociated, rewritten + " && tcp.checksum.status==1", validate),
                "every rewritten packet's TCP checksum verifies");
        assertEquals(0, tsharkCount(reassociated, rewritten + " && (tcp.checksum.status==0 || ip.checksum.status==0)",
                validate));
        assertTrue(total > 0);
        assertTrue(summary.contains("re-associated " + total + " packets of "
                + ledger.of(LedgerEntry.Kind.OUTBOUND).size() + " redirected connections; 0 left unchanged"), summary);
    }

    @Test
    void everyRewrittenPacketSaysWhatChangedAndTheFirstOneWhy() {
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            String field = entry.family().equals("ipv4") ? "ip.src" : "ipv6.src";
            List<List<String>> requests = Tshark.fields(reassociated, field + "==" + entry.client().address()
                    + " && tcp.srcport==" + entry.client().port(), "tcp.flags.syn", "frame.comment",
                    "frame.interface_name");
            String loopback = entry.family().equals("ipv4") ? "127.0.0.1:15001" : "[::1]:15001";
            String change = "meshcap: destination " + loopback + " rewritten to " + entry.destination();
            assertEquals("1", requests.get(0).get(0), "the SYN comes first");
            assertTrue(requests.get(0).get(1).startsWith(change + ", the original destination shown by the reply"
                    + " direction (the handshake's seq/ack confirm it); iptables REDIRECT had sent it to the"
                    + " sidecar's outbound capture port"), requests.get(0).get(1));
            assertTrue(requests.get(0).get(1).endsWith("; this packet and the connection's other rewritten ones are on"
                    + " the leg's interface marked (re-associated)"), requests.get(0).get(1));
            assertTrue(requests.size() > 2, "the connection has more request packets than its SYN");
            for (List<String> request : requests) {
                assertEquals("lo.pcap (re-associated)", request.get(2), "the leg (named after the file) marked");
            }
            for (List<String> request : requests.subList(1, requests.size())) {
                assertEquals("", request.get(1), "explained once; the interface marks the others at no cost");
            }
        }
    }

    /** The display filters docs/reassociation.md gives, judged against the capture itself. */
    @Test
    void theDocumentedFiltersFindEveryRewrittenPacketAndOneExplanationPerConnection() {
        int redirected = tsharkCount(lo, "tcp.dstport==15001", List.of());
        assertTrue(redirected > 0);
        assertEquals(redirected, tsharkCount(reassociated, REWRITTEN, List.of()),
                "every packet sent to 15001 in the capture is found, and nothing else");
        assertEquals(redirected, tsharkCount(reassociated,
                "frame.interface_description contains \"re-associated=\"", List.of()));
        assertEquals(0, tsharkCount(reassociated, "tcp.dstport==15001", List.of()));
        int connections = ledger.of(LedgerEntry.Kind.OUTBOUND).size();
        assertEquals(connections, tsharkCount(reassociated, "frame.comment contains \"rewritten to\"", List.of()));
        assertEquals(connections, tsharkCount(reassociated, REWRITTEN + " && frame.comment", List.of()),
                "no comment of its own on a rewritten packet after its connection's first");
        assertEquals(0, tsharkCount(reassociated, "!(" + REWRITTEN + ") && frame.comment", List.of()));
    }

    /**
     * Moving the rewritten packets to an interface of their own changes nothing Wireshark keys connections by: every
     * frame has the tcp.stream it has when all are on one interface (tshark's own pcap copy of the file, which holds
     * one), Follow TCP Stream and the conversations are the same, and meshcap's stream table of the re-associated file
     * is the raw capture's.
     */
    @Test
    void theReassociatedInterfaceChangesNoStreamNumberConversationOrStreamTable() throws Exception {
        Path oneInterface = dir.resolve("lo-reassociated-one-interface.pcap");
        Tshark.run(List.of("tshark", "-n", "-r", reassociated.toString(), "-F", "pcap", "-w", oneInterface.toString()));
        List<List<String>> split = Tshark.fields(reassociated, "tcp", "frame.number", "tcp.stream", "tcp.analysis.flags");
        assertEquals(Tshark.fields(oneInterface, "tcp", "frame.number", "tcp.stream", "tcp.analysis.flags"), split);
        assertTrue(split.stream().map(row -> row.get(1)).distinct().count()
                >= ledger.connections().size(), "one stream per connection");
        for (int stream = 0; stream < ledger.connections().size(); stream++) {
            assertEquals(TsharkViews.follow(oneInterface, stream).text(), TsharkViews.follow(reassociated, stream).text());
        }
        assertEquals(TsharkViews.conversations(oneInterface), TsharkViews.conversations(reassociated));
        CliRun raw = CliRun.of("streams", "--json", lo.toString());
        CliRun rewritten = CliRun.of("streams", "--json", reassociated.toString());
        assertEquals(0, rewritten.exitCode(), rewritten::toString);
        assertEquals(raw.out(), rewritten.out());
    }

    /**
     * Every TCP packet of the real lo capture carries the unfinished checksum of checksum offload, so a rewrite
     * computes it afresh; given a finished checksum instead, the rewrite updates it for the changed fields only
     * (RFC 1624), and tshark's validation accepts every result.
     */
    @Test
    void rewritesComputeUnfinishedChecksumsAndUpdateFinishedOnesOnRealPackets() {
        Path updated = dir.resolve("lo-updated.pcap");
        int segments = 0;
        try (CaptureReader reader = CaptureFormats.open(lo);
             CaptureWriter writer = CaptureFormats.create(updated, OutputFormat.PCAP, "test")) {
            int linkType = reader.interfaces().get(0).linkType();
            writer.addInterface(reader.interfaces().get(0));
            for (CaptureBlock block = reader.nextBlock(); block != null; block = reader.nextBlock()) {
                if (!(block instanceof CaptureRecord record)) {
                    continue;
                }
                byte[] unfinished = record.data().clone();
                TcpSegment segment = TcpSegment.parse(linkType, unfinished);
                if (segment == null) {
                    continue;
                }
                byte[] address = segment.ip().source(); // another address of the packet's own family
                int port = segment.tcp().destinationPort() + 1;
                assertEquals(ChecksumUpdate.RECOMPUTED, segment.rewrite(segment.tcp().sourcePort(), address, port));
                byte[] finished = record.data().clone();
                TcpSegment copy = TcpSegment.parse(linkType, finished);
                copy.tcp().setChecksum(copy.tcp().computeChecksum(copy.ip(), copy.ip().transportLength()));
                assertEquals(ChecksumUpdate.UPDATED, copy.rewrite(copy.tcp().sourcePort(), address, port));
                assertArrayEquals(unfinished, finished, "the update equals the full computation");
                writer.write(record.withData(finished));
                segments++;
            }
        }
        assertTrue(segments > 0);
        List<String> validate = List.of("-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE");
        assertEquals(segments, tsharkCount(updated, "tcp.checksum.status==1", validate));
    }

    @Test
    void keepOriginalPutsEachCapturedPacketRightBeforeItsRewrittenCopy() {
        Path out = dir.resolve("lo-keep.pcapng");
        CliRun run = CliRun.of("reassociate", "--keep-original", lo.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        List<List<String>> rows = Tshark.fields(out, "tcp", "frame.number", "tcp.dstport", "tcp.seq_raw",
                "frame.comment", "frame.interface_name");
        int pairs = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).get(3).contains("kept by --keep-original")) {
                List<String> copy = rows.get(i + 1);
                assertEquals("15001", rows.get(i).get(1));
                assertEquals("lo.pcap", rows.get(i).get(4), "the original on the leg's own interface");
                assertEquals(rows.get(i).get(2), copy.get(2), "the same segment");
                assertEquals("lo.pcap (re-associated)", copy.get(4), copy.toString());
                pairs++;
            }
        }
        assertEquals(tsharkCount(reassociated, REWRITTEN, List.of()), pairs);
        assertEquals(pairs, tsharkCount(out, REWRITTEN, List.of()));
    }

    /**
     * A re-associated file merged with re-association again: its re-associated interface stays its own, and the
     * stream table (built while merging, and of the file) still counts both halves of each connection as one.
     */
    @Test
    void aReassociatedFileMergedAgainKeepsOneStreamPerConnection() throws Exception {
        Path again = dir.resolve("lo-reassociated-again.pcapng");
        CliRun run = CliRun.of("merge", "--reassociate", reassociated.toString(), "-o", again.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(tsharkCount(reassociated, REWRITTEN, List.of()), tsharkCount(again, REWRITTEN, List.of()));
        int connections = ledger.connections().size();
        assertEquals(connections, tsharkCount(again, "frame.comment contains \"meshcap stream \"", List.of()),
                "one stream comment per connection, none for a half of one");
        CliRun raw = CliRun.of("streams", "--json", lo.toString());
        CliRun merged = CliRun.of("streams", "--json", again.toString());
        assertEquals(raw.out(), merged.out());
    }

    /** pcap has neither interfaces nor comments: the rewritten packets are all there, re-associated, unmarked. */
    @Test
    void pcapOutputHoldsTheRewrittenPacketsUnmarked() {
        Path out = dir.resolve("lo-reassociated.pcap");
        CliRun run = CliRun.of("merge", "--reassociate", "--format", "pcap", lo.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(tsharkCount(lo, "frame", List.of()), tsharkCount(out, "frame", List.of()));
        assertConversationsMatch(out, ledger);
    }

    @ParameterizedTest
    @ValueSource(ints = {LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW})
    void otherLinkLayersComeOutTheSame(int linkType) {
        Path relinked = dir.resolve("lo-" + linkType + ".pcapng");
        CaptureEdits.relink(lo, relinked, linkType);
        Path out = dir.resolve("lo-" + linkType + "-reassociated.pcapng");
        CliRun run = CliRun.of("reassociate", relinked.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertConversationsMatch(out, ledger);
    }

    @Test
    void aCaptureThatMissedEveryHandshakeLearnsFromTheFirstReplies() {
        Path trimmed = dir.resolve("lo-midstream.pcapng");
        CaptureEdits.withoutHandshakes(lo, trimmed, LinkType.EN10MB);
        Path out = dir.resolve("lo-midstream-reassociated.pcapng");
        CliRun run = CliRun.of("reassociate", trimmed.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertConversationsMatch(out, ledger);
        for (LedgerEntry entry : ledger.of(LedgerEntry.Kind.OUTBOUND)) {
            Follow follow = TsharkViews.follow(out, TsharkViews.streamFrom(out, entry.client().address(),
                    entry.client().port()));
            assertEquals(entry.requestBytes(), follow.bytesFromNode0());
        }
        assertFalse(Tshark.fields(out, "frame.comment contains \"learned from the first reply\"", "frame.number")
                .isEmpty());
    }

    @Test
    void aLaterConnectionReusingASourcePortGetsItsOwnOriginalDestination() {
        List<LedgerEntry> outbound = ledger.of(LedgerEntry.Kind.OUTBOUND).stream()
                .filter(entry -> entry.family().equals("ipv4")).toList();
        LedgerEntry first = outbound.get(0);
        LedgerEntry second = outbound.get(1);
        assertTrue(first.destination().port() != second.destination().port(), "the lab alternates app ports");
        Path reused = dir.resolve("lo-reuse.pcapng");
        CaptureEdits.movePort(lo, reused, LinkType.EN10MB,
                Packets.ep(second.client().address(), second.client().port()), first.client().port());
        Path out = dir.resolve("lo-reuse-reassociated.pcapng");
        assertEquals(0, CliRun.of("reassociate", reused.toString(), "-o", out.toString()).exitCode());
        List<Conversation> conversations = TsharkViews.conversations(out);
        for (LedgerEntry entry : List.of(first, second)) {
            Conversation conversation = find(conversations, conv(first.client()), conv(entry.destination()));
            assertTrue(conversation.framesAToB() > 0 && conversation.framesBToA() > 0, conversation.toString());
        }
        assertTrue(conversations.stream().noneMatch(c -> c.a().endsWith(":15001") || c.b().endsWith(":15001")));
    }

    /**
     * An app that binds a fixed local port resets its connection, then within conntrack's 10 s connects from that
     * port to another destination. The kernel gives the new request direction another source port (its reply
     * tuple would clash with the reset connection's), while the replies go to the app's port; re-association
     * undoes both, so each connection is one conversation from the app's port.
     */
    @ParameterizedTest
    @ValueSource(strings = {LabTopology.POD_IPV4, LabTopology.POD_IPV6})
    void aPortReusedWhileConntrackStillTracksItsResetConnectionIsOneConversationToo(String podIp) throws Exception {
        boolean ipv4 = podIp.equals(LabTopology.POD_IPV4);
        InetAddress mesh = InetAddress.getByName(ipv4 ? LabTopology.MESH_IPV4 : LabTopology.MESH_IPV6);
        InetSocketAddress app = new InetSocketAddress(InetAddress.getByName(podIp), ipv4 ? 9908 : 9918);
        List<InetSocketAddress> destinations = LAB.topology().appPorts().stream()
                .map(port -> new InetSocketAddress(mesh, port)).toList();
        Path capture = dir.resolve("lo-reused-" + app.getPort() + ".pcap");
        String pod = LAB.topology().podNamespace();
        try (Recording recording = LAB.record(pod, "lo", capture);
             NamespaceThread inPod = NamespaceThread.enter(NetworkNamespace.named(pod))) {
            inPod.call(() -> {
                callFrom(app, destinations.get(0), true);
                return callFrom(app, destinations.get(1), false);
            });
            recording.stop();
        }
        String appEndpoint = podIp + ":" + app.getPort();
        String redirected = (ipv4 ? "127.0.0.1" : "::1") + ":15001";
        List<Conversation> captured = TsharkViews.conversations(capture);
        assertTrue(captured.stream().anyMatch(c -> Stream.of(c.a(), c.b()).anyMatch(redirected::equals)
                        && Stream.of(c.a(), c.b()).anyMatch(end -> end.startsWith(podIp + ":")
                                && !end.equals(appEndpoint))),
                "the kernel gave the second request another source port: " + captured);
        Path out = dir.resolve("lo-reused-" + app.getPort() + "-reassociated.pcapng");
        CliRun run = CliRun.of("reassociate", capture.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("of 2 redirected connections; 0 left unchanged"), run::toString);
        List<Conversation> conversations = TsharkViews.conversations(out);
        assertEquals(2, conversations.size(), conversations::toString);
        for (InetSocketAddress destination : destinations) {
            Conversation conversation = find(conversations, appEndpoint,
                    Addresses.format(destination.getAddress()) + ":" + destination.getPort());
            assertTrue(conversation.framesAToB() > 0 && conversation.framesBToA() > 0, conversation.toString());
        }
        assertFalse(Tshark.fields(out, "frame.comment contains \"conntrack had given it source port\"",
                "frame.number").isEmpty());
        CliRun streams = CliRun.of("streams", "--json", capture.toString());
        assertEquals(0, streams.exitCode(), streams::toString);
        List<StreamSummary> listed = new ObjectMapper().readValue(streams.out(), StreamTable.class).streams();
        assertEquals(List.of("outbound-plain", "outbound-plain"), listed.stream().map(StreamSummary::leg).toList());
        assertTrue(listed.stream().allMatch(stream -> stream.client().endsWith(":" + app.getPort())), listed::toString);
    }

    /** One call from the fixed local endpoint {@code app}, ended with a reset or with the echo read back. */
    private static String callFrom(InetSocketAddress app, InetSocketAddress destination, boolean reset)
            throws IOException {
        try (Socket socket = new Socket()) {
            socket.setReuseAddress(true);
            socket.bind(app);
            socket.connect(destination, CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
            socket.getOutputStream().write(LabHttp.request("/port-reuse", LabTopology.MESH_SERVICE, "port-reuse",
                    Packets.text("meshcap-lab port reuse\n")));
            if (reset) {
                socket.setSoLinger(true, 0);
                return null;
            }
            String reply = LabHttp.read(socket.getInputStream()).header("x-meshcap-echo");
            assertTrue(reply.startsWith("role=upstream"), reply);
            return reply;
        }
    }

    @Test
    void severalLoLegsMergedAsSeparateInterfacesAreEachReassociated() {
        Path merged = dir.resolve("two-lo.pcapng");
        CliRun run = CliRun.of("merge", "--reassociate", "--name", "pod-a/lo=" + lo, "--name", "pod-b/lo=" + secondLo,
                lo.toString(), secondLo.toString(), "-o", merged.toString());
        assertEquals(0, run.exitCode(), run::toString);
        List<LedgerEntry> all = new ArrayList<>(ledger.connections());
        all.addAll(secondLedger.connections());
        assertConversationsMatch(merged, new Ledger(ledger.lab(), ledger.podIpv4(), ledger.podIpv6(), all));
        assertEquals(List.of("pod-a/lo", "pod-b/lo"), Tshark.fields(merged, "frame.number==1 || frame.interface_id==1",
                "frame.interface_name").stream().map(row -> row.get(0)).distinct().toList());
        // Each leg's rewritten packets on its own re-associated interface: as many as that leg sent to 15001.
        assertEquals(tsharkCount(lo, "tcp.dstport==15001", List.of()),
                tsharkCount(merged, "frame.interface_name == \"pod-a/lo (re-associated)\"", List.of()));
        assertEquals(tsharkCount(secondLo, "tcp.dstport==15001", List.of()),
                tsharkCount(merged, "frame.interface_name == \"pod-b/lo (re-associated)\"", List.of()));
    }

    /**
     * lo holds, per ledger entry, exactly one conversation: app to original destination for outbound, sidecar
     * (127.0.0.6) to app for inbound; none toward 15001; each with frames both ways.
     */
    private static void assertConversationsMatch(Path file, Ledger expected) {
        List<Conversation> conversations = TsharkViews.conversations(file);
        assertEquals(expected.connections().size(), conversations.size(), conversations::toString);
        for (LedgerEntry entry : expected.connections()) {
            Conversation conversation = entry.kind() == LedgerEntry.Kind.OUTBOUND
                    ? find(conversations, conv(entry.client()), conv(entry.destination()))
                    : find(conversations, conv(entry.serverPeer()), conv(entry.serverLocal()));
            assertTrue(conversation.framesAToB() > 0 && conversation.framesBToA() > 0, conversation.toString());
        }
        assertTrue(conversations.stream().noneMatch(c -> c.a().endsWith(":15001") || c.b().endsWith(":15001")),
                conversations::toString);
    }

    private static Conversation find(List<Conversation> conversations, String a, String b) {
        return conversations.stream().filter(c -> c.between(a, b)).findFirst()
                .orElseThrow(() -> new AssertionError("no conversation " + a + " <-> " + b + " in " + conversations));
    }

    /** An endpoint as tshark's conversation table prints it: address, colon, port, IPv6 without brackets. */
    private static String conv(Endpoint endpoint) {
        return endpoint.address() + ":" + endpoint.port();
    }

    private static int tsharkCount(Path file, String filter, List<String> options) {
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString()));
        argv.addAll(options);
        argv.addAll(List.of("-Y", filter, "-T", "fields", "-e", "frame.number"));
        return (int) Tshark.run(argv).lines().count();
    }
}
