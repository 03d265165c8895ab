package io.meshcap.reassoc;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The redirected connections re-association is tracking, in least-recently-seen order, bounded so that memory
 * stays flat on long captures. Time is capture time (record timestamps), never the wall clock, so a file gives
 * the same result however fast it is read.
 *
 * <ul>
 *   <li>A closed connection (RST, or FIN both ways) is forgotten {@value #CLOSED_LINGER_SECONDS} s after its last
 *       packet: long enough for stray retransmissions, and a new SYN on the same port starts a new mapping anyway.</li>
 *   <li>An idle connection is forgotten after {@value #IDLE_SECONDS} s. If it speaks again, it is treated like one
 *       the capture caught mid-stream: its next reply teaches the mapping again.</li>
 *   <li>Past {@value #MAX_CONNECTIONS} connections the least recently seen is forgotten first.</li>
 * </ul>
 * Connections still holding records back are never forgotten by the sweep.
 */
final class ConnectionTable {

    static final int CLOSED_LINGER_SECONDS = 60;
    static final int IDLE_SECONDS = 600;
    static final int MAX_CONNECTIONS = 1 << 16;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Sweeping walks the table, so it runs at most once per second of capture time (or when over the cap). */
    private static final long SWEEP_INTERVAL_NANOS = NANOS_PER_SECOND;

    private static final int PORTS = 1 << 16;

    private final LinkedHashMap<ConnectionKey, RedirectConnection> connections = new LinkedHashMap<>(16, 0.75f, true);
    /**
     * Connections whose SYN was captured and is held until its SYN-ACK, by what that SYN-ACK acknowledges: the way
     * to find a connection whose replies go to another client port. Holds only waiting connections, so it is small.
     */
    private final Map<SynAckKey, RedirectConnection> awaitingSynAck = new HashMap<>();
    /** Connections whose replies go to another client port than their requests come from, by the replies' flow. */
    private final Map<ReplyFlow, RedirectConnection> byReplyFlow = new HashMap<>();
    /**
     * Tracked connections per client port (and per reply port of {@link #byReplyFlow}): most packets answer none,
     * and this tells so without a lookup.
     */
    private final int[] clientPorts = new int[PORTS];
    private final Probe probe = new Probe();
    private long lastSweepNanos = Long.MIN_VALUE;
    private long forgotten;

    /** @param clientHost the client's address with port 0: a SYN-ACK is matched by address, not port */
    private record SynAckKey(int interfaceId, FlowEndpoint clientHost, long acknowledgement) {

        static SynAckKey of(int interfaceId, FlowEndpoint client, long acknowledgement) {
            return new SynAckKey(interfaceId, FlowEndpoint.of(client.address(), 0), acknowledgement);
        }
    }

    private record ReplyFlow(int interfaceId, FlowEndpoint client, FlowEndpoint server) {

        static ReplyFlow of(RedirectConnection connection) {
            return new ReplyFlow(connection.key().interfaceId(), connection.replyClient(), connection.original());
        }
    }

    /** The connection, marking it recently used; {@code null} when unknown. */
    RedirectConnection get(ConnectionKey key) {
        return connections.get(key);
    }

    /**
     * {@link #get(ConnectionKey)} of the key with these fields, its client the sender of the packet {@code flow} was
     * read from ({@code clientSent}) or its receiver: the look-up of every packet, which makes no key or endpoint.
     */
    RedirectConnection get(int interfaceId, FlowEndpoint.Flow flow, boolean clientSent, int redirectPort) {
        probe.set(interfaceId, flow, clientSent, redirectPort);
        return connections.get(probe);
    }

    /**
     * A look-up key filled from a packet: equal to the {@link ConnectionKey} of the same fields, with its hash, as
     * {@code HashMap.get} asks the key it is given. Never stored in the map (the keys there stay ConnectionKeys), so
     * the map never asks a stored key whether it equals a probe.
     */
    private static final class Probe {
        private int interfaceId;
        private FlowEndpoint.Flow flow;
        private boolean clientSent;
        private int redirectPort;
        private int hash;

        void set(int interfaceId, FlowEndpoint.Flow flow, boolean clientSent, int redirectPort) {
            this.interfaceId = interfaceId;
            this.flow = flow;
            this.clientSent = clientSent;
            this.redirectPort = redirectPort;
            this.hash = ConnectionKey.hash(interfaceId, clientSent ? flow.sourceHash() : flow.destinationHash(),
                    redirectPort);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof ConnectionKey key && key.matches(interfaceId, flow, clientSent, redirectPort);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Adds or replaces the connection of {@code connection.key()}. */
    void put(RedirectConnection connection) {
        RedirectConnection replaced = connections.put(connection.key(), connection);
        if (replaced == null) {
            clientPorts[connection.key().client().port()]++;
        } else {
            forgetReplyFlow(replaced);
        }
    }

    /** Notes that {@code connection} (opened by a captured SYN, not yet mapped) waits for its SYN-ACK. */
    void awaitSynAck(RedirectConnection connection) {
        awaitingSynAck.put(SynAckKey.of(connection.key().interfaceId(), connection.key().client(),
                connection.synAcknowledgement()), connection);
    }

    /** The connection has its mapping, or was given up on: it waits no more. */
    void stopAwaiting(RedirectConnection connection) {
        if (connection.handshakeSeen()) {
            awaitingSynAck.remove(SynAckKey.of(connection.key().interfaceId(), connection.key().client(),
                    connection.synAcknowledgement()), connection);
        }
    }

    /** The waiting connection from {@code client}'s address (any port) whose SYN this acknowledgement answers. */
    RedirectConnection awaiting(int interfaceId, FlowEndpoint client, long acknowledgement) {
        return awaitingSynAck.get(SynAckKey.of(interfaceId, client, acknowledgement));
    }

    /** Whether any connection waits for its SYN-ACK (which may go to a client port no connection has). */
    boolean anyAwaiting() {
        return !awaitingSynAck.isEmpty();
    }

    /** Files a connection with a {@link RedirectConnection#replyClient()} under its replies' flow too. */
    void addReplyFlow(RedirectConnection connection) {
        byReplyFlow.put(ReplyFlow.of(connection), connection);
        clientPorts[connection.replyClient().port()]++;
    }

    /** Whether any connection's replies go to another client port than its requests come from. */
    boolean anyReplyFlows() {
        return !byReplyFlow.isEmpty();
    }

    /** The connection whose replies flow {@code server → client} although its requests come from another port. */
    RedirectConnection byReplyFlow(int interfaceId, FlowEndpoint client, FlowEndpoint server) {
        return byReplyFlow.isEmpty() ? null : byReplyFlow.get(new ReplyFlow(interfaceId, client, server));
    }

    private void forgetReplyFlow(RedirectConnection connection) {
        if (connection.replyClient() != null && byReplyFlow.remove(ReplyFlow.of(connection), connection)) {
            clientPorts[connection.replyClient().port()]--;
        }
    }

    /** Whether any tracked connection has a client on this port (if not, a packet to it answers none). */
    boolean tracksClientPort(int port) {
        return clientPorts[port] > 0;
    }

    int size() {
        return connections.size();
    }

    /** How many connections were forgotten so far. */
    long forgotten() {
        return forgotten;
    }

    /** Forgets closed and idle connections as of capture time {@code nowNanos}. */
    void sweep(long nowNanos) {
        boolean overCap = connections.size() > MAX_CONNECTIONS;
        if (!overCap && lastSweepNanos != Long.MIN_VALUE && nowNanos - lastSweepNanos < SWEEP_INTERVAL_NANOS) {
            return;
        }
        lastSweepNanos = nowNanos;
        Iterator<Map.Entry<ConnectionKey, RedirectConnection>> oldestFirst = connections.entrySet().iterator();
        while (oldestFirst.hasNext()) {
            RedirectConnection connection = oldestFirst.next().getValue();
            long idle = nowNanos - connection.lastSeenNanos();
            if (idle < CLOSED_LINGER_SECONDS * NANOS_PER_SECOND && connections.size() <= MAX_CONNECTIONS) {
                // Everything after this one was seen more recently still.
                return;
            }
            boolean expired = connection.closed() || idle >= IDLE_SECONDS * NANOS_PER_SECOND
                    || connections.size() > MAX_CONNECTIONS;
            if (expired && !connection.holding()) {
                oldestFirst.remove();
                clientPorts[connection.key().client().port()]--;
                forgetReplyFlow(connection);
                forgotten++;
            }
        }
    }
}
