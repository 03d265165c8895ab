package io.meshcap.reassoc;

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
    /** Tracked connections per client port: most packets answer none, and this tells so without a lookup. */
    private final int[] clientPorts = new int[PORTS];
    private long lastSweepNanos = Long.MIN_VALUE;
    private long forgotten;

    /** The connection, marking it recently used; {@code null} when unknown. */
    RedirectConnection get(ConnectionKey key) {
        return connections.get(key);
    }

    /** Adds or replaces the connection of {@code connection.key()}. */
    void put(RedirectConnection connection) {
        if (connections.put(connection.key(), connection) == null) {
            clientPorts[connection.key().client().port()]++;
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
                forgotten++;
            }
        }
    }
}
