package io.meshcap.reassoc;

import io.meshcap.http.ProxyHeaders;
import io.meshcap.http.RequestKey;
import io.meshcap.http.RequestScanner;
import io.meshcap.packet.TcpHeader;
import io.meshcap.packet.TcpSegment;
import io.meshcap.tls.KeyLog;
import io.meshcap.tls.StreamReassembler;
import io.meshcap.tls.TlsReport;
import io.meshcap.tls.TlsSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What one connection's client said, for joining legs by content: the HTTP/1.x requests it sent, read from the
 * plaintext or, on a TLS connection, from the client's records decrypted with the key log. Only made when there are
 * keys: without them no mTLS leg can be read, and the plaintext legs alone join nothing.
 *
 * <p>Memory per connection: what {@link StreamReassembler} holds while bytes are missing (at most
 * {@value #MAX_HELD} bytes a direction), one TLS record, one request head, and a small key per request.
 */
final class ConnectionContent {

    static final int MAX_HELD = 256 * 1024;
    private static final int TLS_VERSION_MAJOR = 3;
    private static final int FIRST_TLS_CONTENT_TYPE = 20;
    private static final int LAST_TLS_CONTENT_TYPE = 23;

    /** One request the client sent: when, and what identifies it on another leg. */
    record Call(long startNanos, RequestKey key) {
    }

    private final Supplier<KeyLog> keys;
    private final ProxyHeaders proxy;
    private final StreamReassembler fromClient;
    private StreamReassembler fromServer;
    private long serverIsn = -1;
    private RequestScanner requests;
    private TlsSession tls;
    private final List<Call> calls = new ArrayList<>();

    /** @param keys the key log as it stands (it may grow while the capture is read) */
    ConnectionContent(Supplier<KeyLog> keys, ProxyHeaders proxy) {
        this.keys = keys;
        this.proxy = proxy;
        this.fromClient = new StreamReassembler(MAX_HELD, new StreamReassembler.Sink() {
            @Override
            public void bytes(byte[] data, int from, int to, long timestampNanos) {
                clientBytes(data, from, to, timestampNanos);
            }

            @Override
            public void gap(String reason) {
                if (tls != null) {
                    tls.gap(TlsSession.Side.CLIENT, reason);
                } else if (requests != null) {
                    requests.gap(reason);
                }
            }
        });
    }

    void segment(boolean fromClientSide, TcpSegment segment, byte[] data, long timestampNanos) {
        TcpHeader tcp = segment.tcp();
        StreamReassembler side = fromClientSide ? fromClient : fromServer;
        if (tcp.has(TcpHeader.SYN)) {
            if (fromClientSide) {
                fromClient.syn(tcp.sequence());
            } else {
                serverIsn = tcp.sequence();
            }
        }
        boolean wanted = tls == null || tls.reading(fromClientSide ? TlsSession.Side.CLIENT : TlsSession.Side.SERVER);
        if (side != null && wanted) {
            side.segment(tcp.sequence(), data, segment.payloadFrom(), segment.payloadTo(), segment.payloadLength(),
                    timestampNanos);
        }
    }

    /** At the end of the capture. */
    void finish() {
        fromClient.finish();
        if (fromServer != null) {
            fromServer.finish();
        }
        if (requests != null) {
            requests.finish();
        }
    }

    List<Call> calls() {
        return calls;
    }

    /** Why requests stopped being read, if they did: another protocol, HTTP/2, a gap in the capture. */
    Optional<String> unread() {
        return requests == null ? Optional.empty() : requests.stopped();
    }

    /** What became of decrypting the connection; empty when it is not TLS. */
    Optional<TlsReport> tls() {
        return Optional.ofNullable(tls).map(TlsSession::report);
    }

    /** The first bytes decide: TLS records go through decryption, anything else is read as it is. */
    private void clientBytes(byte[] data, int from, int to, long timestampNanos) {
        if (requests == null) {
            requests = new RequestScanner(request -> calls.add(new Call(request.startNanos(),
                    RequestKey.of(request, proxy))));
            if (looksLikeTls(data, from, to)) {
                startTls();
            }
        }
        if (tls != null) {
            tls.bytes(TlsSession.Side.CLIENT, data, from, to, timestampNanos);
        } else {
            requests.bytes(data, from, to, timestampNanos);
        }
    }

    private void startTls() {
        RequestScanner decrypted = requests;
        tls = new TlsSession(keys, (sender, data, from, to, timestampNanos) ->
                decrypted.bytes(data, from, to, timestampNanos), true, false);
        fromServer = new StreamReassembler(MAX_HELD, tls.from(TlsSession.Side.SERVER));
        if (serverIsn >= 0) {
            fromServer.syn(serverIsn);
        }
    }

    private static boolean looksLikeTls(byte[] data, int from, int to) {
        int type = data[from] & 0xff;
        return type >= FIRST_TLS_CONTENT_TYPE && type <= LAST_TLS_CONTENT_TYPE
                && (to - from < 2 || data[from + 1] == TLS_VERSION_MAJOR);
    }
}
