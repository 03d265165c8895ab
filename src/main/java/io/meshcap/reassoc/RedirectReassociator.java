package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.PacketView;
import io.meshcap.format.RawOptions;
import io.meshcap.merge.RecordTransform;
import io.meshcap.packet.TcpHeader;
import io.meshcap.packet.TcpSegment;
import io.meshcap.packet.TcpSegment.ChecksumUpdate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Undoes the iptables REDIRECT in a stream of records, so that each redirected connection on {@code lo} reads as
 * one conversation again. A request-direction packet {@code CLIENT → 127.0.0.1:15001} ({@code ::1} for IPv6, and
 * the inbound port 15006 for the self-call path) gets the original destination {@code ORIG:port} that its reply
 * direction {@code ORIG:port → CLIENT} shows, with the IPv4 header checksum and the TCP checksum recomputed.
 * Rewritten packets go out on their leg's re-associated interface, declared on the output the first time a leg needs
 * it (see {@link LegInterfaces}): that marks them at no cost per packet. The first rewritten packet of a connection
 * also gets a comment saying what was changed and why. Every other record passes unchanged, as the same object.
 *
 * <p><b>Cost.</b> The rewrite happens in place in the record's bytes, and the explanation is encoded once per
 * connection, so a rewritten packet costs no copy and no text of its own; a packet that answers no tracked
 * connection costs a header parse and an array lookup.
 *
 * <p><b>Hold-back.</b> A connection's first request packet (its SYN, or whatever a capture that started
 * mid-stream sees first) comes before the reply that reveals the original destination, so request packets of a
 * connection without a mapping are held back until its first reply. To keep the output in input (timestamp)
 * order, everything behind a held record waits too. A held record is given up on, and written unchanged with a
 * comment that the original destination is unknown, when a record {@value #HOLD_MILLIS} ms of capture time later
 * arrives (or a live stream's time passes that, {@link #advance}), when more than {@value #HOLD_RECORDS} records or {@value #HOLD_MEGABYTES} MiB are queued, or at
 * {@link #finish()}. On {@code lo} the reply (the SYN-ACK, or the ACK of the first data) follows within
 * microseconds, so the bound is only reached by connections whose replies were never captured.
 *
 * <p><b>Per-connection state</b> is keyed by interface, client endpoint and REDIRECT port (see
 * {@link ConnectionKey}) and bounded by {@link ConnectionTable}. A SYN with a new initial sequence number starts a
 * new mapping (source-port reuse); a SYN-ACK that does not acknowledge the SYN seen teaches nothing.
 *
 * <p><b>Source port changed by conntrack.</b> When the app reuses a source port for another original destination
 * while conntrack still tracks its earlier connection from that port (by default 10 s after a reset, 120 s after a
 * close), both would have the reply tuple {@code 127.0.0.1:15001 → CLIENT:port}, so the kernel gives the new
 * request direction another source port: lo shows {@code CLIENT:17009 → 127.0.0.1:15001} but the replies
 * {@code ORIG:port → CLIENT:9908}, un-NATed back to the app's port (as recorded in the lab). So a SYN-ACK that
 * acknowledges the SYN (initial sequence number + 1) of a waiting connection from the same address on the same
 * interface but another port maps that connection: its requests get the original destination and the app's port,
 * and both directions are one conversation again. Without a captured handshake this cannot be told.
 *
 * <p>Not thread-safe; one instance per stream. Call {@link #finish()} after the last record and write what it
 * returns.
 */
public final class RedirectReassociator implements RecordTransform {

    static final int HOLD_MILLIS = 500;
    static final int HOLD_RECORDS = 65_536;
    static final int HOLD_MEGABYTES = 16;
    private static final long HOLD_NANOS = HOLD_MILLIS * 1_000_000L;
    private static final long HOLD_BYTES = HOLD_MEGABYTES << 20;

    private static final String PREFIX = "meshcap: ";
    private static final RawOptions KEPT_ORIGINAL = RawOptions.NONE.plus(RawOptions.COMMENT,
            PREFIX + "this packet as captured, kept by --keep-original; the re-associated copy follows");
    private static final String NO_REPLY_IN_TIME = "no reply of this connection was captured within " + HOLD_MILLIS
            + " ms";
    private static final String NO_REPLY_AT_END = "no reply of this connection was captured before the capture ended";
    private static final String NO_REPLY_BEFORE_REUSE = "a new connection reused the client port before any reply"
            + " of this one was captured";
    private static final String NO_REPLY_YET = "no reply of this connection had been captured yet";

    /** Each interface's ports, as first seen. */
    private final PerInterface<RedirectPorts> portsById;
    /** Each interface as first seen: a leg whose rewritten packets may need a re-associated interface. */
    private final PerInterface<CaptureInterface> legs = new PerInterface<>(captureInterface -> captureInterface);
    /** Each leg's re-associated interface's id on the output, declared when the leg's first packet is rewritten. */
    private final PerInterface<Integer> reassociatedIds;
    /** The re-associated interfaces by their own ids. */
    private final PerInterface<CaptureInterface> declared = new PerInterface<>(captureInterface -> captureInterface);
    private final boolean keepOriginal;
    private final boolean surveyOnly;
    private final ConnectionTable table = new ConnectionTable();
    /** The endpoints of the packet being accounted for. */
    private final FlowEndpoint.Flow flow = new FlowEndpoint.Flow();
    private final ArrayDeque<HeldRecord> queue = new ArrayDeque<>();
    /** The segment of a packet handed over without one ({@code meshcap reassociate}), parsed into the same views. */
    private final TcpSegment packetSegment = TcpSegment.reusable();
    private long queuedBytes;
    private long redirectedConnections;
    private long rewrittenPackets;
    private long unchangedPackets;

    /**
     * @param ports        the REDIRECT ports to undo
     * @param keepOriginal also write each rewritten packet as it was captured, just before the rewritten copy
     * @param output       where the records go: the re-associated interfaces are declared on it
     */
    public RedirectReassociator(RedirectPorts ports, boolean keepOriginal, CaptureWriter output) {
        this(RedirectPortsByInterface.everywhere(ports), keepOriginal, output);
    }

    /**
     * @param ports        each interface's REDIRECT ports (a capture of several pods, whose rules may differ)
     * @param keepOriginal also write each rewritten packet as it was captured, just before the rewritten copy
     * @param output       where the records go: the re-associated interfaces are declared on it
     */
    public RedirectReassociator(RedirectPortsByInterface ports, boolean keepOriginal, CaptureWriter output) {
        this(ports, keepOriginal, output, false);
    }

    private RedirectReassociator(RedirectPortsByInterface ports, boolean keepOriginal, CaptureWriter output,
                                 boolean surveyOnly) {
        this.portsById = new PerInterface<>(ports::of);
        this.reassociatedIds = new PerInterface<>(leg -> declare(output, LegInterfaces.reassociated(leg)));
        this.keepOriginal = keepOriginal;
        this.surveyOnly = surveyOnly;
    }

    /**
     * A re-associator that rewrites addresses and ports only, without checksums, comments or interfaces of its own:
     * for a pass whose records are looked at (by the {@link Stitcher}) but never written.
     */
    static RedirectReassociator surveyOnly(RedirectPortsByInterface ports, boolean keepOriginal) {
        return new RedirectReassociator(ports, keepOriginal, null, true);
    }

    /** The re-associated interface of id {@code id}, or null when this re-associator declared none by that id. */
    CaptureInterface reassociatedInterface(int id) {
        return declared.find(id);
    }

    private int declare(CaptureWriter output, CaptureInterface reassociated) {
        int id = output.addInterface(reassociated);
        declared.get(id, reassociated);
        return id;
    }

    @Override
    public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
        TcpSegment segment = ChainedTransform.segment(captureInterface, record);
        RedirectConnection connection = account(captureInterface, record.interfaceId(), record.timestampNanos(),
                segment);
        HeldRecord entry;
        if (connection == null) {
            entry = HeldRecord.resolved(record, List.of(record));
        } else if (connection.mapped()) {
            entry = HeldRecord.resolved(record, rewrite(segment, record, connection));
        } else if (connection.gaveUp()) {
            entry = HeldRecord.resolved(record, List.of(unchanged(record, connection, NO_REPLY_YET)));
        } else {
            entry = hold(captureInterface.linkType(), record, connection);
        }
        if (queue.isEmpty() && entry.resolved()) {
            return entry.output();
        }
        List<CaptureRecord> out = new ArrayList<>();
        enqueue(entry, record.timestampNanos(), out);
        return out;
    }

    /**
     * What {@link #apply} does, for a packet viewed in its reader's buffer: a packet that passes unchanged, or is
     * rewritten (in place, moved to its leg's re-associated interface, with the connection's explanation on its
     * first), is left in the view for the caller to write, without a copy or a record; only a packet that must wait
     * (behind a held record, or held itself) is copied into the queue.
     *
     * @param before receives, in order, the records to write before the packet: those the queue releases
     * @return whether to write {@code packet} now, after {@code before}; false when it was queued
     */
    @Override
    public boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
        return pass(captureInterface, packet, ChainedTransform.segment(captureInterface, packet, packetSegment),
                before);
    }

    /**
     * {@link #pass(CaptureInterface, PacketView, List)} of a packet whose segment is parsed already; a rewrite
     * changes it in place, so what comes next sees the re-associated segment.
     *
     * @param segment the packet's TCP segment ({@link ChainedTransform#segment(CaptureInterface, PacketView,
     *                TcpSegment)}), or null when it has none
     */
    boolean pass(CaptureInterface captureInterface, PacketView packet, TcpSegment segment,
                 List<CaptureRecord> before) {
        if (!queue.isEmpty() || keepOriginal) {
            before.addAll(apply(captureInterface, packet.toRecord())); // the rare cases, the way records go
            return false;
        }
        RedirectConnection connection = account(captureInterface, packet.interfaceId(), packet.timestampNanos(),
                segment);
        if (connection == null) {
            return true;
        }
        if (connection.mapped()) {
            if (redirected(connection)) {
                RawOptions note = rewriteInPlace(segment, connection);
                if (!surveyOnly) {
                    packet.addOptions(note);
                    packet.moveTo(reassociatedId(connection));
                }
            }
            return true;
        }
        if (connection.gaveUp()) {
            unchangedPackets++;
            packet.addOptions(RawOptions.NONE.plus(RawOptions.COMMENT, unchangedNote(connection, NO_REPLY_YET)));
            return true;
        }
        enqueue(hold(captureInterface.linkType(), packet.toRecord(), connection), packet.timestampNanos(), before);
        return false;
    }

    /** Gives up on held records past the bound at capture time {@code timestampNanos}, as a record then would. */
    @Override
    public List<CaptureRecord> advance(long timestampNanos) {
        if (queue.isEmpty()) {
            return List.of();
        }
        List<CaptureRecord> out = new ArrayList<>();
        release(timestampNanos, out);
        return out;
    }

    /** Ends the stream: gives up on every held record and returns what is left to write, in order. */
    public List<CaptureRecord> finish() {
        List<CaptureRecord> out = new ArrayList<>();
        for (HeldRecord entry : queue) {
            if (!entry.resolved()) {
                giveUp(entry.waitingFor(), NO_REPLY_AT_END);
            }
            out.addAll(entry.output());
        }
        queue.clear();
        queuedBytes = 0;
        return out;
    }

    /** What was done so far. */
    public ReassociationStats stats() {
        return new ReassociationStats(redirectedConnections, rewrittenPackets, unchangedPackets, table.forgotten());
    }

    /**
     * Accounts for a packet at capture time {@code now}: the redirected connection a request packet belongs to (what
     * becomes of the packet depends on its state), or null for every other packet, which passes unchanged (a reply
     * teaches the table here).
     */
    private RedirectConnection account(CaptureInterface captureInterface, int interfaceId, long now,
                                       TcpSegment segment) {
        table.sweep(now);
        RedirectPorts ports = portsById.get(interfaceId, captureInterface);
        legs.get(interfaceId, captureInterface);
        if (segment == null) {
            return null;
        }
        TcpHeader tcp = segment.tcp();
        int destinationPort = tcp.destinationPort();
        boolean maybeRequest = destinationPort == ports.outbound() || destinationPort == ports.inbound();
        boolean maybeTranslatedSynAck = tcp.has(TcpHeader.SYN) && tcp.has(TcpHeader.ACK) && table.anyAwaiting();
        if (!maybeRequest && !maybeTranslatedSynAck && !table.tracksClientPort(destinationPort)) {
            return null;
        }
        flow.read(segment);
        if (maybeRequest && flow.toLoopback()) { // the destination is a REDIRECT target (RedirectPorts)
            return request(interfaceId, now, tcp, destinationPort);
        }
        if (!tcp.has(TcpHeader.SYN) && !table.anyReplyFlows()) {
            // The common reply, settled as reply() would without making endpoints: one from the original destination
            // of a mapped outbound connection.
            RedirectConnection outbound = table.get(interfaceId, flow, false, ports.outbound());
            if (outbound != null && outbound.mapped() && flow.from(outbound.original())) {
                outbound.seen(now, false, tcp);
                return null;
            }
        }
        reply(interfaceId, now, tcp, flow.source(), flow.destination(), ports);
        return null;
    }

    /** A packet from a client to a REDIRECT target (its endpoints in {@link #flow}): its connection. */
    private RedirectConnection request(int interfaceId, long now, TcpHeader tcp, int redirectPort) {
        RedirectConnection connection = table.get(interfaceId, flow, true, redirectPort);
        if (tcp.isSyn() && (connection == null || !connection.startedBy(tcp.sequence()))) {
            if (connection != null && connection.holding()) {
                giveUp(connection, NO_REPLY_BEFORE_REUSE);
            }
            connection = RedirectConnection.opened(new ConnectionKey(interfaceId, flow.source(), redirectPort),
                    flow.destination(), tcp.sequence());
            table.put(connection);
            table.awaitSynAck(connection);
            redirectedConnections++;
        } else if (connection == null) {
            connection = RedirectConnection.midStream(new ConnectionKey(interfaceId, flow.source(), redirectPort),
                    flow.destination());
            table.put(connection);
            redirectedConnections++;
        }
        connection.seen(now, true, tcp);
        return connection;
    }

    /** A request packet of a connection without its mapping yet, held until the connection's first reply. */
    private static HeldRecord hold(int linkType, CaptureRecord record, RedirectConnection connection) {
        HeldRecord held = HeldRecord.waiting(record, linkType, connection);
        connection.hold(held);
        return held;
    }

    /** Queues a record behind the held one before it (or held itself) and releases what may go at {@code now}. */
    private void enqueue(HeldRecord entry, long now, List<CaptureRecord> out) {
        queue.add(entry);
        queuedBytes += entry.record().capturedLength();
        release(now, out);
    }

    /** A packet not sent to a REDIRECT target: if it answers a tracked connection, it may reveal the mapping. */
    private void reply(int interfaceId, long now, TcpHeader tcp, FlowEndpoint server, FlowEndpoint client,
                       RedirectPorts ports) {
        if (tcp.has(TcpHeader.SYN) && tcp.has(TcpHeader.ACK)) {
            RedirectConnection waiting = table.awaiting(interfaceId, client, tcp.acknowledgement());
            if (waiting != null && waiting.key().client().port() != client.port()) {
                waiting.seen(now, false, tcp);
                waiting.learnTranslated(server, client);
                table.addReplyFlow(waiting);
                resolveHeld(waiting);
                return;
            }
        }
        RedirectConnection connection = table.byReplyFlow(interfaceId, client, server);
        if (connection == null) {
            connection = answered(interfaceId, client, server, tcp, ports);
        }
        if (connection == null) {
            return;
        }
        connection.seen(now, false, tcp);
        if (connection.mapped() || !connection.acceptsReply(tcp)) {
            return;
        }
        connection.learn(server, tcp.has(TcpHeader.SYN) && connection.handshakeSeen());
        resolveHeld(connection);
    }

    /** The connection has its mapping: its held records can be rewritten, and it waits for no SYN-ACK. */
    private void resolveHeld(RedirectConnection connection) {
        table.stopAwaiting(connection);
        for (HeldRecord held : connection.releaseHeld()) {
            held.resolve(rewrite(TcpSegment.parse(held.linkType(), held.record().data()), held.record(), connection));
        }
    }

    /**
     * The tracked connection a packet {@code server → client} answers. Normally there is one; when the client's
     * port is in use toward both REDIRECT ports, the one already mapped to this server wins, then one whose
     * handshake this packet fits.
     */
    private RedirectConnection answered(int interfaceId, FlowEndpoint client, FlowEndpoint server, TcpHeader tcp,
                                        RedirectPorts ports) {
        RedirectConnection outbound = table.get(new ConnectionKey(interfaceId, client, ports.outbound()));
        if (outbound != null && outbound.mapped() && outbound.original().equals(server)) {
            return outbound; // the common case, settled without the second look-up
        }
        RedirectConnection inbound = table.get(new ConnectionKey(interfaceId, client, ports.inbound()));
        if (outbound == null || inbound == null) {
            return outbound != null ? outbound : inbound;
        }
        for (RedirectConnection candidate : List.of(outbound, inbound)) {
            if (candidate.mapped() && candidate.original().equals(server)) {
                return candidate;
            }
        }
        for (RedirectConnection candidate : List.of(outbound, inbound)) {
            if (!candidate.mapped() && candidate.acceptsReply(tcp)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * The request packet with the original destination, on its leg's re-associated interface: rewritten in place in
     * the record's own bytes (the caller handed the record over), so a packet costs no copy or text of its own.
     */
    private List<CaptureRecord> rewrite(TcpSegment segment, CaptureRecord record, RedirectConnection connection) {
        if (!redirected(connection)) {
            return List.of(record);
        }
        CaptureRecord captured = keepOriginal ? record.withData(record.data().clone()) : null;
        RawOptions note = rewriteInPlace(segment, connection);
        if (surveyOnly) {
            return List.of(record);
        }
        CaptureRecord rewritten = record.withInterfaceId(reassociatedId(connection)).plusOptions(note);
        if (!keepOriginal) {
            return List.of(rewritten);
        }
        return List.of(captured.plusOptions(KEPT_ORIGINAL), rewritten);
    }

    /** Whether the mapped connection was redirected: one made straight to the port got its reply from the port. */
    private static boolean redirected(RedirectConnection connection) {
        return !connection.original().equals(connection.redirectTarget());
    }

    /**
     * Rewrites a request packet of a redirected connection in place to its original destination and returns the
     * options it gets: the explanation on the connection's first rewritten packet, none on the others.
     */
    private RawOptions rewriteInPlace(TcpSegment segment, RedirectConnection connection) {
        FlowEndpoint original = connection.original();
        rewrittenPackets++;
        if (surveyOnly) {
            segment.tcp().setSourcePort(connection.appPort());
            segment.ip().setDestination(connection.originalAddress());
            segment.tcp().setDestinationPort(original.port());
            return RawOptions.NONE;
        }
        ChecksumUpdate update = segment.rewrite(connection.appPort(), connection.originalAddress(), original.port());
        return connection.rewriteNote(portsById.get(connection.key().interfaceId()), update);
    }

    /** The output id of the re-associated interface of the connection's leg, declared on first use. */
    private int reassociatedId(RedirectConnection connection) {
        int leg = connection.key().interfaceId();
        return reassociatedIds.get(leg, legs.get(leg));
    }

    private CaptureRecord unchanged(CaptureRecord record, RedirectConnection connection, String reason) {
        unchangedPackets++;
        return record.plusComment(unchangedNote(connection, reason));
    }

    private static String unchangedNote(RedirectConnection connection, String reason) {
        return PREFIX + "destination " + connection.redirectTarget()
                + " left unchanged: the original destination is unknown (" + reason + ")";
    }

    private void giveUp(RedirectConnection connection, String reason) {
        connection.giveUp();
        table.stopAwaiting(connection);
        for (HeldRecord held : connection.releaseHeld()) {
            held.resolve(List.of(unchanged(held.record(), connection, reason)));
        }
    }

    /** Writes what is resolved at the head of the queue, giving up on a waiting head once it is past the bound. */
    private void release(long nowNanos, List<CaptureRecord> out) {
        while (!queue.isEmpty()) {
            HeldRecord head = queue.peekFirst();
            if (!head.resolved()) {
                boolean overdue = nowNanos - head.record().timestampNanos() > HOLD_NANOS
                        || queue.size() > HOLD_RECORDS || queuedBytes > HOLD_BYTES;
                if (!overdue) {
                    return;
                }
                giveUp(head.waitingFor(), NO_REPLY_IN_TIME);
            }
            queue.pollFirst();
            queuedBytes -= head.record().capturedLength();
            out.addAll(head.output());
        }
    }
}
