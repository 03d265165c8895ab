package io.meshcap.lab.mtls;

import io.meshcap.tls.KeyLog;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsSecret;

/**
 * BouncyCastle's TLS crypto for one connection, writing each TLS 1.3 secret of the key schedule (RFC 8446 7.1) as a
 * key log line the moment it is derived, as BoringSSL's key log callback does for Envoy. Every secret of the schedule
 * descends from {@link #hkdfInit}, so wrapping that one in a {@link LoggingSecret} (which wraps what it derives in
 * turn) sees every HKDF-Expand-Label and its label; the traffic secrets are logged under the ClientHello's random.
 */
final class KeyLoggingCrypto extends BcTlsCrypto {

    /** RFC 8446 labels of the secrets a key log holds, and their key log names. */
    private static final Map<String, String> LABELS = Map.of(
            "c e traffic", KeyLog.CLIENT_EARLY_TRAFFIC_SECRET,
            "e exp master", KeyLog.EARLY_EXPORTER_SECRET,
            "c hs traffic", KeyLog.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
            "s hs traffic", KeyLog.SERVER_HANDSHAKE_TRAFFIC_SECRET,
            "c ap traffic", KeyLog.CLIENT_TRAFFIC_SECRET_0,
            "s ap traffic", KeyLog.SERVER_TRAFFIC_SECRET_0,
            "exp master", KeyLog.EXPORTER_SECRET);
    /** HkdfLabel (RFC 8446 7.1): uint16 length, then the label, prefixed with "tls13 ", as a one-byte-length string. */
    private static final String LABEL_PREFIX = "tls13 ";
    private static final int LABEL_LENGTH_AT = 2;

    private final KeyLogSink sink;
    private TlsContext context;

    KeyLoggingCrypto(SecureRandom random, KeyLogSink sink) {
        super(random);
        this.sink = sink;
    }

    /** The connection whose client random names the secrets; set when the client or server is initialised. */
    void attach(TlsContext connection) {
        this.context = connection;
    }

    @Override
    public TlsSecret hkdfInit(int cryptoHashAlgorithm) {
        return adopt(super.hkdfInit(cryptoHashAlgorithm));
    }

    /** The same secret as one that logs what is derived from it; {@code secret} itself is used up. */
    private LoggingSecret adopt(TlsSecret secret) {
        return new LoggingSecret(this, secret.extract());
    }

    private void derived(byte[] info, byte[] secret) {
        if (info.length <= LABEL_LENGTH_AT || context == null) {
            return;
        }
        int length = info[LABEL_LENGTH_AT] & 0xff;
        if (LABEL_LENGTH_AT + 1 + length > info.length) {
            return;
        }
        String label = new String(info, LABEL_LENGTH_AT + 1, length, StandardCharsets.US_ASCII);
        String name = label.startsWith(LABEL_PREFIX) ? LABELS.get(label.substring(LABEL_PREFIX.length())) : null;
        if (name != null) {
            HexFormat hex = HexFormat.of();
            sink.write(new KeyLog.Entry(name, hex.formatHex(context.getSecurityParametersHandshake().getClientRandom()),
                    hex.formatHex(secret)));
        }
    }

    /** A secret whose HKDF results are logging secrets too, and logged when they are a traffic secret. */
    private static final class LoggingSecret extends BcTlsSecret {

        LoggingSecret(KeyLoggingCrypto crypto, byte[] data) {
            super(crypto, data);
        }

        private KeyLoggingCrypto logging() {
            return (KeyLoggingCrypto) crypto;
        }

        @Override
        public synchronized TlsSecret hkdfExpand(int cryptoHashAlgorithm, byte[] info, int length) {
            LoggingSecret result = logging().adopt(super.hkdfExpand(cryptoHashAlgorithm, info, length));
            logging().derived(info, copyData(result));
            return result;
        }

        @Override
        public synchronized TlsSecret hkdfExtract(int cryptoHashAlgorithm, TlsSecret inputKeyingMaterial) {
            return logging().adopt(super.hkdfExtract(cryptoHashAlgorithm, inputKeyingMaterial));
        }
    }
}
