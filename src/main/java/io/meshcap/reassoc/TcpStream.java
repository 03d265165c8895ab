package io.meshcap.reassoc;

import io.meshcap.packet.TcpHeader;
import io.meshcap.packet.TcpSegment;
import java.util.Arrays;

/** What the stitcher collects about one TCP connection on one interface while the records go by. */
final class TcpStream {

    private static final int TO_SERVER = 0;
    private static final int TO_CLIENT = 1;
    private static final int INITIAL_HELLO_BUFFER = 2048;

    final int id;
    final int interfaceId;
    final String interfaceName;
    final boolean onLoopback;
    final FlowEndpoint client;
    final FlowEndpoint server;
    final boolean handshake;
    final long firstRecord;
    final long startNanos;
    private final long clientIsn;
    private long endNanos;
    private final long[] packets = new long[2];
    private final long[] bytes = new long[2];
    private final boolean[] fin = new boolean[2];
    private boolean reset;
    /** When the first FIN (either way) or RST was seen, or -1: from then on the connection takes no new calls. */
    private long closingNanos = -1;
    private byte[] hello;
    private int helloLength;
    private long nextClientSequence = -1;
    private ClientHello clientHello;
    private boolean helloDecided;
    /** The client's requests, read when there are keys to read the mTLS legs with; null otherwise. */
    final ConnectionContent content;
    Leg leg = Leg.OTHER;

    TcpStream(int id, int interfaceId, String interfaceName, boolean onLoopback, FlowEndpoint client,
              FlowEndpoint server, long clientIsn, long firstRecord, long startNanos, ConnectionContent content) {
        this.id = id;
        this.interfaceId = interfaceId;
        this.interfaceName = interfaceName;
        this.onLoopback = onLoopback;
        this.client = client;
        this.server = server;
        this.clientIsn = clientIsn;
        this.handshake = clientIsn >= 0;
        this.firstRecord = firstRecord;
        this.startNanos = startNanos;
        this.endNanos = startNanos;
        this.content = content;
    }

    /**
     * Whether a SYN begins a new connection on this stream's ports (source-port reuse).
     *
     * @param fromClient whether the SYN came from this stream's client
     */
    boolean reusedBy(boolean fromClient, long sequence) {
        return closed() || !fromClient || sequence != clientIsn;
    }

    /** Whether {@code flow}, captured on interface {@code id}, belongs to this stream's connection (either way). */
    boolean carries(int id, FlowEndpoint.Flow flow) {
        return id == interfaceId && (flow.from(client) ? flow.to(server) : flow.from(server) && flow.to(client));
    }

    /** Whether {@code other} is a stream of the same connection: the same interface and endpoints, either way. */
    boolean sameConnection(TcpStream other) {
        return other.interfaceId == interfaceId && (client.equals(other.client) ? server.equals(other.server)
                : client.equals(other.server) && server.equals(other.client));
    }

    boolean closed() {
        return reset || fin[TO_SERVER] && fin[TO_CLIENT];
    }

    long endNanos() {
        return endNanos;
    }

    /**
     * Whether a FIN or RST was seen before {@code nanos}. A pool reuses only connections neither side has begun to
     * close, but their last packets (the final ACK, a late RST) may come well after: the last packet alone would
     * keep a closed connection a pooled candidate for the next call.
     */
    boolean closingBefore(long nanos) {
        return closingNanos >= 0 && closingNanos < nanos;
    }

    /** @param fromClient whether the segment came from this stream's client */
    void add(boolean fromClient, TcpSegment segment, byte[] data, long timestampNanos) {
        int direction = fromClient ? TO_SERVER : TO_CLIENT;
        TcpHeader tcp = segment.tcp();
        endNanos = Math.max(endNanos, timestampNanos);
        packets[direction]++;
        bytes[direction] += segment.payloadLength();
        reset |= tcp.has(TcpHeader.RST);
        fin[direction] |= tcp.has(TcpHeader.FIN);
        if (closingNanos < 0 && (tcp.has(TcpHeader.FIN) || tcp.has(TcpHeader.RST))) {
            closingNanos = timestampNanos;
        }
        if (direction == TO_SERVER && !helloDecided && segment.payloadTo() > segment.payloadFrom()) {
            collectHello(tcp.sequence(), data, segment.payloadFrom(), segment.payloadTo());
        }
        if (content != null) {
            content.segment(direction == TO_SERVER, segment, data, timestampNanos);
        }
    }

    /** Whether the client began with a TLS ClientHello. */
    boolean tls() {
        return clientHello != null;
    }

    /** Whether the client's hello is Istio's. */
    boolean istio() {
        return clientHello != null && clientHello.istio();
    }

    /** Buffers the client's first bytes in sequence order (retransmissions skipped) until the hello is decided. */
    private void collectHello(long sequence, byte[] data, int from, int to) {
        if (nextClientSequence >= 0 && sequence != nextClientSequence) {
            return;
        }
        int length = Math.min(to - from, ClientHello.MAX_LENGTH - helloLength);
        if (hello == null) {
            hello = new byte[Math.max(INITIAL_HELLO_BUFFER, length)];
        } else if (helloLength + length > hello.length) {
            int grown = Math.max(hello.length * 2, helloLength + length);
            hello = Arrays.copyOf(hello, Math.min(ClientHello.MAX_LENGTH, grown));
        }
        System.arraycopy(data, from, hello, helloLength, length);
        helloLength += length;
        nextClientSequence = (sequence + (to - from)) & 0xffff_ffffL;
        ClientHello.Parse parse = ClientHello.parse(hello, helloLength);
        if (parse instanceof ClientHello.Parsed parsed) {
            decide(parsed.hello());
        } else if (parse instanceof ClientHello.NotHello || helloLength >= ClientHello.MAX_LENGTH) {
            decide(null);
        }
    }

    private void decide(ClientHello parsed) {
        clientHello = parsed;
        helloDecided = true;
        hello = null;
    }

    /**
     * @param decryption what became of decrypting it, or {@code null} when it is not TLS
     */
    StreamSummary summary(StreamSummary.Decryption decryption) {
        return new StreamSummary(id, interfaceId, interfaceName, leg.label(), client.toString(), server.toString(),
                handshake, closed() ? (reset ? "reset" : "closed") : "open", startNanos, endNanos,
                packets[TO_SERVER], packets[TO_CLIENT], bytes[TO_SERVER], bytes[TO_CLIENT], firstRecord + 1,
                clientHello == null ? null : new StreamSummary.Tls(clientHello.serverName(), clientHello.protocols(),
                        clientHello.istio(), clientHello.random()),
                helloDecided && clientHello == null, decryption, content == null ? null : content.calls().size());
    }
}
