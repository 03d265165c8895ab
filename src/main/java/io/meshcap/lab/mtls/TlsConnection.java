package io.meshcap.lab.mtls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsProtocol;

/**
 * One handshaken mTLS connection: plaintext streams over it, and what the handshake settled. Reading and writing may
 * happen on two threads at once. BouncyCastle does not half-close TLS: {@link #close()} ends both directions.
 */
public final class TlsConnection implements AutoCloseable {

    private final TlsProtocol protocol;
    private final String protocolName;
    private final String peer;

    TlsConnection(TlsProtocol protocol, TlsContext context, String peer) {
        this.protocol = protocol;
        ProtocolName negotiated = context.getSecurityParametersConnection().getApplicationProtocol();
        this.protocolName = negotiated == null ? null : negotiated.getUtf8Decoding();
        this.peer = peer;
    }

    public InputStream input() {
        return protocol.getInputStream();
    }

    public OutputStream output() {
        return protocol.getOutputStream();
    }

    /** The other side's SPIFFE identity, from its checked certificate. */
    public String peer() {
        return peer;
    }

    /** The ALPN protocol the server chose, or null. */
    public String applicationProtocol() {
        return protocolName;
    }

    /** Sends close_notify and ends the connection (the socket underneath stays for its owner to close). */
    @Override
    public void close() throws IOException {
        protocol.close();
    }
}
