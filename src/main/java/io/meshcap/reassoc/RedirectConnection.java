package io.meshcap.reassoc;

import io.meshcap.format.RawOptions;
import io.meshcap.packet.TcpHeader;
import io.meshcap.packet.TcpSegment.ChecksumUpdate;
import java.util.ArrayList;
import java.util.List;

/**
 * What re-association knows about one redirected connection: where the request direction was sent (the REDIRECT
 * target), the original destination once a reply showed it, and the request packets held back until then.
 */
final class RedirectConnection {

    private static final long SEQUENCE_MODULUS = 1L << 32;
    private static final String ADJUSTED = "adjusted for the changed fields only (the packet is truncated, so it is"
            + " as right as it was)";
    /** Where the explanation says a connection's rewritten packets are. */
    private static final String WHERE_REWRITTEN = "this packet and the connection's other rewritten ones are on"
            + " the leg's interface marked" + LegInterfaces.SUFFIX;
    /**
     * What a truncated rewritten packet after a connection's first says: its checksum could not be made whole. Other
     * rewritten packets say nothing; their interface marks them (see {@link LegInterfaces}).
     */
    private static final RawOptions NOTE_ADJUSTED = comment("meshcap: TCP checksum " + ADJUSTED);

    private final ConnectionKey key;
    private final FlowEndpoint redirectTarget;
    /** The client's initial sequence number, or -1 when the capture started after the SYN. */
    private final long synSequence;
    private final List<HeldRecord> held = new ArrayList<>();
    private FlowEndpoint original;
    /**
     * The client endpoint the replies show, when it differs from the request direction's: conntrack gave the
     * request another source port (see {@link RedirectReassociator}); null otherwise.
     */
    private FlowEndpoint replyClient;
    private boolean confirmed;
    private boolean gaveUp;
    private boolean clientFin;
    private boolean serverFin;
    private boolean reset;
    private long lastSeenNanos;
    /** The destination address to write into request packets, once {@link #mapped()}. */
    private byte[] originalAddress;
    private boolean explained;

    private RedirectConnection(ConnectionKey key, FlowEndpoint redirectTarget, long synSequence) {
        this.key = key;
        this.redirectTarget = redirectTarget;
        this.synSequence = synSequence;
    }

    /** A connection whose SYN was captured. */
    static RedirectConnection opened(ConnectionKey key, FlowEndpoint redirectTarget, long synSequence) {
        return new RedirectConnection(key, redirectTarget, synSequence);
    }

    /** A connection first seen mid-stream: the capture started after its handshake. */
    static RedirectConnection midStream(ConnectionKey key, FlowEndpoint redirectTarget) {
        return new RedirectConnection(key, redirectTarget, -1);
    }

    ConnectionKey key() {
        return key;
    }

    FlowEndpoint redirectTarget() {
        return redirectTarget;
    }

    /** Whether a SYN with this sequence number is (a retransmission of) this connection's own SYN. */
    boolean startedBy(long sequence) {
        return synSequence == sequence;
    }

    boolean handshakeSeen() {
        return synSequence >= 0;
    }

    /** The acknowledgement number of the SYN-ACK answering this connection's SYN; only with {@link #handshakeSeen()}. */
    long synAcknowledgement() {
        return (synSequence + 1) % SEQUENCE_MODULUS;
    }

    /**
     * Whether a reply with these flags may teach this connection its original destination: anything does,
     * except a SYN-ACK that does not acknowledge the SYN we saw (it answers some other connection attempt).
     */
    boolean acceptsReply(TcpHeader reply) {
        return !(reply.has(TcpHeader.SYN) && handshakeSeen() && reply.acknowledgement() != synAcknowledgement());
    }

    /** Records the original destination; {@code viaHandshake} when the reply was the SYN-ACK to our SYN. */
    void learn(FlowEndpoint originalDestination, boolean viaHandshake) {
        original = originalDestination;
        originalAddress = originalDestination.address();
        confirmed = viaHandshake;
    }

    /**
     * Records the original destination and the client endpoint of a SYN-ACK that acknowledges our SYN but went to
     * another client port than our requests came from.
     */
    void learnTranslated(FlowEndpoint originalDestination, FlowEndpoint clientOfReplies) {
        learn(originalDestination, true);
        replyClient = clientOfReplies;
    }

    /** The client endpoint the replies show, when conntrack changed the requests' source port; else null. */
    FlowEndpoint replyClient() {
        return replyClient;
    }

    /** The source port the app's socket has: the one its replies are sent to. */
    int appPort() {
        return replyClient != null ? replyClient.port() : key.client().port();
    }

    boolean mapped() {
        return original != null;
    }

    FlowEndpoint original() {
        return original;
    }

    /** The original destination's address bytes, shared: for writing into packets, not to be modified. */
    byte[] originalAddress() {
        return originalAddress;
    }

    /** No reply came in time: later request packets pass unchanged until one does. */
    void giveUp() {
        gaveUp = true;
    }

    boolean gaveUp() {
        return gaveUp;
    }

    void hold(HeldRecord record) {
        held.add(record);
    }

    /** Hands over the held records (oldest first) and forgets them. */
    List<HeldRecord> releaseHeld() {
        List<HeldRecord> released = List.copyOf(held);
        held.clear();
        return released;
    }

    boolean holding() {
        return !held.isEmpty();
    }

    /** Notes a packet of this connection: its time, and whether it closes a direction or resets the connection. */
    void seen(long timestampNanos, boolean fromClient, TcpHeader tcp) {
        lastSeenNanos = Math.max(lastSeenNanos, timestampNanos);
        if (tcp.has(TcpHeader.RST)) {
            reset = true;
        }
        if (tcp.has(TcpHeader.FIN)) {
            if (fromClient) {
                clientFin = true;
            } else {
                serverFin = true;
            }
        }
    }

    long lastSeenNanos() {
        return lastSeenNanos;
    }

    /** Reset, or both directions finished: only stray retransmissions can follow. */
    boolean closed() {
        return reset || clientFin && serverFin;
    }

    /**
     * The note a rewritten packet of this connection carries: the full explanation on the connection's first
     * rewritten packet; on the others none, or for a truncated one that its checksum was adjusted (shared by all).
     */
    RawOptions rewriteNote(RedirectPorts ports, ChecksumUpdate update) {
        if (!explained) {
            explained = true;
            String checksums = switch (update) {
                case RECOMPUTED -> "; " + checksums() + " recomputed";
                case UPDATED -> "; " + checksums() + " updated";
                case ADJUSTED -> (original.isIpv6() ? "" : "; IP checksum recomputed") + "; TCP checksum " + ADJUSTED;
            };
            return comment(describeRewrite(ports) + checksums + "; " + WHERE_REWRITTEN);
        }
        return update == ChecksumUpdate.ADJUSTED ? NOTE_ADJUSTED : RawOptions.NONE;
    }

    private static RawOptions comment(String text) {
        return RawOptions.NONE.plus(RawOptions.COMMENT, text);
    }

    /** IPv6 has no header checksum, so only TCP's changes there. */
    private String checksums() {
        return original.isIpv6() ? "TCP checksum" : "IP and TCP checksums";
    }

    private String describeRewrite(RedirectPorts ports) {
        return "meshcap: destination " + redirectTarget + " rewritten to " + original + sourcePortChange()
                + (replyClient == null ? ", the original destination shown by the reply direction"
                        : ", the original destination and the app's port shown by the reply direction")
                + (confirmed ? " (the handshake's seq/ack confirm it)"
                        : " (learned from the first reply: the capture holds no handshake of this connection)")
                + "; iptables REDIRECT had sent it to " + ports.describe(redirectTarget.port())
                + (replyClient == null ? "" : ", and conntrack had given it source port " + key.client().port()
                        + " because an earlier connection from port " + replyClient.port() + " to that port was still"
                        + " tracked (by default 10 s after a reset, 120 s after a close)");
    }

    private String sourcePortChange() {
        return replyClient == null ? ""
                : " and source port " + key.client().port() + " rewritten to " + replyClient.port();
    }
}
