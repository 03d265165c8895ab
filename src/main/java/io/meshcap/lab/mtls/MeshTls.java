package io.meshcap.lab.mtls;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Date;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcECContentVerifierProviderBuilder;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientContext;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsServerContext;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;

/**
 * Istio-style mutual TLS for the lab's stand-in sidecars, on BouncyCastle's TLS API: TLS 1.3 only, both sides present
 * a certificate of the lab's root with their SPIFFE identity and check the other's, the client sends Istio's SNI
 * ({@code outbound_.PORT_._.HOST}) and ALPN ({@code istio-peer-exchange}, {@code istio}), and every connection's
 * secrets are appended to a key log file in NSS format, as Envoy's {@code key_log} writes them.
 *
 * <pre>{@code
 * MeshTls tls = MeshTls.load(pkiDirectory, "app", keyLogFile);
 * TlsConnection upstream = tls.connect(in, out, MeshTls.istioSni(8080, "upstream.lab.svc.cluster.local"));
 * upstream.output().write(request);
 * }</pre>
 */
public final class MeshTls {

    /** What an Istio sidecar offers for TCP and HTTP/1.1 mTLS, in its order. */
    public static final List<String> ALPN = List.of("istio-peer-exchange", "istio");
    /** The content type of the record that opens every TLS connection. */
    private static final int TLS_HANDSHAKE_RECORD = 22;
    private static final SignatureAndHashAlgorithm ECDSA_SHA256 =
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    private final SecureRandom random = new SecureRandom();
    private final X509CertificateHolder root;
    private final byte[] certificate;
    private final AsymmetricKeyParameter key;
    private final KeyLogSink keyLog;

    private MeshTls(X509CertificateHolder root, byte[] certificate, AsymmetricKeyParameter key, KeyLogSink keyLog) {
        this.root = root;
        this.certificate = certificate;
        this.key = key;
        this.keyLog = keyLog;
    }

    /**
     * The identity {@code identity} of the lab's PKI in {@code pkiDirectory} (see {@link LabPki}), logging secrets to
     * {@code keyLogFile} (appended to; created with mode 0600).
     */
    public static MeshTls load(Path pkiDirectory, String identity, Path keyLogFile) throws IOException {
        return new MeshTls(new X509CertificateHolder(Pem.read(pkiDirectory.resolve(LabPki.CA_FILE), Pem.CERTIFICATE)),
                Pem.read(LabPki.certificateFile(pkiDirectory, identity), Pem.CERTIFICATE),
                PrivateKeyFactory.createKey(Pem.read(LabPki.keyFile(pkiDirectory, identity), Pem.PRIVATE_KEY)),
                KeyLogSink.open(keyLogFile));
    }

    /**
     * Whether a connection's first byte starts a TLS handshake (it is put back): how a PERMISSIVE endpoint tells an
     * mTLS client from a plaintext one (a client without a sidecar), as Envoy's TLS inspector does.
     */
    public static boolean startsHandshake(PushbackInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return false;
        }
        in.unread(first);
        return first == TLS_HANDSHAKE_RECORD;
    }

    /** Istio's SNI for a call to a service: {@code outbound_.PORT_._.HOST}, the empty subset being {@code _}. */
    public static String istioSni(int port, String host) {
        return "outbound_." + port + "_._." + host;
    }

    /**
     * Handshakes as the client over {@code in}/{@code out} (a connected socket's streams). Closing the connection
     * sends close_notify and leaves the socket to its owner, who ends it.
     */
    public TlsConnection connect(InputStream in, OutputStream out, String serverName) throws IOException {
        KeyLoggingCrypto crypto = new KeyLoggingCrypto(random, keyLog);
        TlsClientProtocol protocol = new TlsClientProtocol(unclosable(in), unclosable(out));
        Client client = new Client(crypto, serverName);
        protocol.connect(client);
        return new TlsConnection(protocol, client.connection, client.peer);
    }

    /** Handshakes as the server over {@code in}/{@code out}, requiring the client's certificate; see {@link #connect}. */
    public TlsConnection accept(InputStream in, OutputStream out) throws IOException {
        KeyLoggingCrypto crypto = new KeyLoggingCrypto(random, keyLog);
        TlsServerProtocol protocol = new TlsServerProtocol(unclosable(in), unclosable(out));
        Server server = new Server(crypto);
        protocol.accept(server);
        return new TlsConnection(protocol, server.connection, server.peer);
    }

    /** BouncyCastle closes its streams with the TLS connection; a socket's would close the socket too early. */
    private static InputStream unclosable(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
                // The socket's owner ends the connection.
            }
        };
    }

    private static OutputStream unclosable(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    private static Vector<ProtocolName> protocolNames() {
        Vector<ProtocolName> names = new Vector<>();
        ALPN.forEach(name -> names.add(ProtocolName.asUtf8Encoding(name)));
        return names;
    }

    /** This side's signing credentials; {@code requestContext} echoes a CertificateRequest's (empty for a server). */
    private TlsCredentials credentials(TlsContext context, KeyLoggingCrypto crypto, byte[] requestContext)
            throws IOException {
        Certificate chain = new Certificate(requestContext,
                new CertificateEntry[] {new CertificateEntry(crypto.createCertificate(certificate), null)});
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, key, chain, ECDSA_SHA256);
    }

    /** The peer's SPIFFE identity, once its certificate is checked against the lab's root; fails the handshake else. */
    private String verify(Certificate presented) throws IOException {
        if (presented == null || presented.isEmpty()) {
            throw new TlsFatalAlert(AlertDescription.certificate_required);
        }
        X509CertificateHolder peer = new X509CertificateHolder(presented.getCertificateAt(0).getEncoded());
        try {
            ContentVerifierProvider verifier = new BcECContentVerifierProviderBuilder(
                    new DefaultDigestAlgorithmIdentifierFinder()).build(root);
            if (!peer.isSignatureValid(verifier) || !peer.isValidOn(new Date())) {
                throw new TlsFatalAlert(AlertDescription.bad_certificate);
            }
        } catch (CertException | OperatorCreationException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, e);
        }
        GeneralNames names = GeneralNames.fromExtensions(peer.getExtensions(), Extension.subjectAlternativeName);
        if (names != null) {
            for (GeneralName name : names.getNames()) {
                if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    return name.getName().toString();
                }
            }
        }
        throw new TlsFatalAlert(AlertDescription.bad_certificate);
    }

    /** The client side: Istio's SNI and ALPN, its certificate when asked, the server's checked. */
    private final class Client extends DefaultTlsClient {

        private final KeyLoggingCrypto crypto;
        private final String serverName;
        private TlsClientContext connection;
        private String peer;

        Client(KeyLoggingCrypto crypto, String serverName) {
            super(crypto);
            this.crypto = crypto;
            this.serverName = serverName;
        }

        @Override
        public void init(TlsClientContext clientContext) {
            super.init(clientContext);
            connection = clientContext;
            crypto.attach(clientContext);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected Vector<ProtocolName> getProtocolNames() {
            return protocolNames();
        }

        @Override
        protected Vector<ServerName> getSNIServerNames() {
            // Istio's names have underscores, which host names may not; servers match them as plain strings.
            Vector<ServerName> names = new Vector<>();
            names.add(new ServerName(NameType.host_name, serverName.getBytes(StandardCharsets.US_ASCII)));
            return names;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    peer = verify(serverCertificate.getCertificate());
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    return credentials(connection, crypto, request.getCertificateRequestContext());
                }
            };
        }
    }

    /** The server side: TLS 1.3 with a required client certificate, Istio's ALPN. */
    private final class Server extends DefaultTlsServer {

        private final KeyLoggingCrypto crypto;
        private TlsServerContext connection;
        private String peer;

        Server(KeyLoggingCrypto crypto) {
            super(crypto);
            this.crypto = crypto;
        }

        @Override
        public void init(TlsServerContext serverContext) {
            super.init(serverContext);
            connection = serverContext;
            crypto.attach(serverContext);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected Vector<ProtocolName> getProtocolNames() {
            return protocolNames();
        }

        @Override
        public CertificateRequest getCertificateRequest() throws IOException {
            Vector<SignatureAndHashAlgorithm> algorithms = new Vector<>(List.of(ECDSA_SHA256));
            return new CertificateRequest(TlsUtils.EMPTY_BYTES, algorithms, null, null);
        }

        @Override
        public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
            peer = verify(clientCertificate);
        }

        @Override
        public TlsCredentials getCredentials() throws IOException {
            return credentials(connection, crypto, TlsUtils.EMPTY_BYTES);
        }
    }
}
