package io.meshcap.capture;

import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.SectionInfo;
import io.meshcap.packet.TcpSegment;
import io.meshcap.reassoc.ClientHello;
import io.meshcap.reassoc.FlowEndpoint;
import io.meshcap.tls.KeyLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * In front of the live stream's writer while TLS keys are logged during the capture: each key line is written once,
 * in a Decryption Secrets Block as soon as it arrives ({@link #offer}), and the packets of a TLS connection whose
 * ClientHello carries a client random without keys yet are held back until its keys are written, for at most
 * {@link #HOLD}.
 *
 * <p>Why hold: Wireshark derives a TLS 1.3 connection's handshake keys when it reads the ServerHello, from the secrets
 * read before it; secrets that come later do not decrypt that connection (measured with tshark 4.0: a block before the
 * ServerHello decrypts the calls, one right after it none). Keys are logged at the handshake and reach meshcap a
 * moment later (Envoy flushes its key file every second, a pod's file is read every second), so the connection waits.
 *
 * <p>Held packets keep their timestamps and order within their connection; they go out after later packets of other
 * connections, the first one with a comment saying how long it was held and whether its keys came. Thread-safe: the
 * stream writes packets while the key reader offers keys and releases what waited too long.
 */
final class LiveKeysWriter implements CaptureWriter {

    /** How long a connection's packets wait for its keys: Envoy's 1 s flush plus a 1 s read period, with room. */
    static final Duration HOLD = Duration.ofSeconds(5);
    /** Held packets beyond this are released, oldest connection first: the stream must not grow without bound. */
    private static final long MAX_HELD_BYTES = 32L << 20;
    private static final double NANOS_PER_SECOND = 1e9;
    private static final Set<String> TLS13_SECRETS = Set.of(KeyLog.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
            KeyLog.SERVER_HANDSHAKE_TRAFFIC_SECRET, KeyLog.CLIENT_TRAFFIC_SECRET_0, KeyLog.SERVER_TRAFFIC_SECRET_0);

    private final CaptureWriter out;
    private final long holdNanos;
    private final LongSupplier clock;
    private final List<Integer> linkTypes = new ArrayList<>();
    private final Set<KeyLog.Entry> seen = new HashSet<>();
    private final List<KeyLog.Entry> pending = new ArrayList<>();
    /** The labels written for each client random. */
    private final Map<String, Set<String>> written = new HashMap<>();
    /** Connections waiting for their keys, oldest first. */
    private final Map<Connection, Held> held = new LinkedHashMap<>();
    private long heldBytes;
    private boolean started;
    private int keyLines;
    private int connectionsHeld;
    private int releasedWithoutKeys;

    /** A TCP connection on one interface, by its client (the ClientHello's sender) and its server. */
    private record Connection(int interfaceId, FlowEndpoint client, FlowEndpoint server) {
    }

    /** A connection's packets waiting for the keys of its client random. */
    private static final class Held {
        final String random;
        final long since;
        final List<CaptureRecord> records = new ArrayList<>();

        Held(String random, long since) {
            this.random = random;
            this.since = since;
        }
    }

    /**
     * What the stream held of keys.
     *
     * @param keyLines            TLS key lines written, each once
     * @param connectionsHeld     TLS connections whose packets waited for their keys
     * @param releasedWithoutKeys of those, connections whose keys did not come in time (written without them)
     */
    record Outcome(int keyLines, int connectionsHeld, int releasedWithoutKeys) {
    }

    LiveKeysWriter(CaptureWriter out) {
        this(out, HOLD, System::nanoTime);
    }

    /** @param clock nanoseconds, as {@link System#nanoTime()} */
    LiveKeysWriter(CaptureWriter out, Duration hold, LongSupplier clock) {
        this.out = out;
        this.holdNanos = hold.toNanos();
        this.clock = clock;
    }

    /** New keys: written at once (once the section has begun), and the connections waiting for them released. */
    synchronized void offer(KeyLog keys) {
        for (KeyLog.Entry entry : keys.entries()) {
            if (seen.add(entry)) {
                pending.add(entry);
            }
        }
        if (started && writePending()) {
            out.flush();
        }
    }

    /** Releases, without their keys, the connections that have waited {@link #HOLD}. */
    synchronized void releaseExpired() {
        long now = clock.getAsLong();
        boolean any = false;
        for (Iterator<Held> waiting = held.values().iterator(); waiting.hasNext(); ) {
            Held connection = waiting.next();
            if (now - connection.since >= holdNanos) {
                waiting.remove();
                release(connection, now, "none came");
                any = true;
            }
        }
        if (any) {
            out.flush();
        }
    }

    /** The stream ends: every connection still waiting is written, without its keys. */
    synchronized Outcome finish() {
        long now = clock.getAsLong();
        writePending();
        held.values().forEach(connection -> release(connection, now, "none came before the capture ended"));
        held.clear();
        out.flush();
        return new Outcome(keyLines, connectionsHeld, releasedWithoutKeys);
    }

    @Override
    public synchronized void describeSection(SectionInfo section) {
        out.describeSection(section);
    }

    @Override
    public synchronized int addInterface(CaptureInterface captureInterface) {
        started = true;
        int id = out.addInterface(captureInterface);
        while (linkTypes.size() <= id) {
            linkTypes.add(null);
        }
        linkTypes.set(id, captureInterface.linkType());
        writePending();
        return id;
    }

    @Override
    public synchronized void write(CaptureBlock block) {
        started = true;
        writePending();
        TcpSegment segment = block instanceof CaptureRecord record ? TcpSegment.parse(linkTypes.get(
                record.interfaceId()), record.data()) : null;
        if (segment == null) {
            out.write(block);
            return;
        }
        CaptureRecord record = (CaptureRecord) block;
        FlowEndpoint source = FlowEndpoint.of(segment.ip().source(), segment.tcp().sourcePort());
        FlowEndpoint destination = FlowEndpoint.of(segment.ip().destination(), segment.tcp().destinationPort());
        Held waiting = held.isEmpty() ? null : waiting(record.interfaceId(), source, destination);
        if (waiting != null) {
            waiting.records.add(record);
            heldBytes += record.capturedLength();
            releaseOldestBeyondBound();
            return;
        }
        out.write(record);
        Optional<String> random = ClientHello.randomAt(record.data(), segment.payloadFrom(), segment.payloadTo());
        if (random.isPresent() && !keyed(random.get())) {
            // The hello itself needs no key; what follows it, from the ServerHello on, does.
            held.put(new Connection(record.interfaceId(), source, destination), new Held(random.get(),
                    clock.getAsLong()));
            connectionsHeld++;
        }
    }

    private Held waiting(int interfaceId, FlowEndpoint source, FlowEndpoint destination) {
        Held fromClient = held.get(new Connection(interfaceId, source, destination));
        return fromClient != null ? fromClient : held.get(new Connection(interfaceId, destination, source));
    }

    private void releaseOldestBeyondBound() {
        long now = clock.getAsLong();
        for (Iterator<Held> waiting = held.values().iterator(); heldBytes > MAX_HELD_BYTES && waiting.hasNext(); ) {
            Held oldest = waiting.next();
            waiting.remove();
            release(oldest, now, "the stream could hold no more");
        }
    }

    /** Writes the keys that came since the last block, then the connections that were waiting for them. */
    private boolean writePending() {
        if (pending.isEmpty()) {
            return false;
        }
        out.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG, KeyLog.format(pending)));
        keyLines += pending.size();
        pending.forEach(entry -> written.computeIfAbsent(entry.clientRandom(), random -> new HashSet<>())
                .add(entry.label()));
        pending.clear();
        long now = clock.getAsLong();
        for (Iterator<Held> waiting = held.values().iterator(); waiting.hasNext(); ) {
            Held connection = waiting.next();
            if (keyed(connection.random)) {
                waiting.remove();
                release(connection, now, null);
            }
        }
        return true;
    }

    /**
     * Whether every secret Wireshark needs for the connection of {@code random} is written: TLS 1.2's master secret,
     * or TLS 1.3's handshake and traffic secrets of both sides. Endpoints log them one by one as the handshake goes
     * (the traffic secrets after the Finished messages), so a read may catch some of them; Wireshark needs them all
     * by the ServerHello, whose flight often carries the server's Finished too.
     */
    private boolean keyed(String random) {
        Set<String> labels = written.getOrDefault(random, Set.of());
        return labels.contains(KeyLog.CLIENT_RANDOM) || labels.containsAll(TLS13_SECRETS);
    }

    /** Writes a held connection's packets, the first with why they come late; {@code noKeys} says why, or null. */
    private void release(Held connection, long now, String noKeys) {
        if (noKeys != null) {
            releasedWithoutKeys++;
        }
        String held = String.format(Locale.ROOT, "%.1f s", (now - connection.since) / NANOS_PER_SECOND);
        String comment = noKeys == null
                ? "meshcap: held back " + held + " until this TLS connection's keys came (they are in the block before)"
                : "meshcap: held back " + held + " for this TLS connection's keys; " + noKeys + ", so it is written"
                        + " without them";
        boolean first = true;
        for (CaptureRecord record : connection.records) {
            out.write(first ? record.plusComment(comment) : record);
            heldBytes -= record.capturedLength();
            first = false;
        }
    }

    @Override
    public synchronized void flush() {
        out.flush();
    }

    /** Writes what waits (see {@link #finish}) and closes the stream. */
    @Override
    public synchronized void close() {
        finish();
        out.close();
    }
}
