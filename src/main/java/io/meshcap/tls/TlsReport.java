package io.meshcap.tls;

import java.util.List;

/**
 * What became of decrypting one TLS connection.
 *
 * @param status           the outcome
 * @param detail           the outcome in words, e.g. which secret the key log lacks
 * @param suite            the version and cipher suite, e.g. {@code TLS 1.3, TLS_AES_128_GCM_SHA256}, or {@code null}
 *                         when not known or not decrypted
 * @param clientRecords    protected records the client sent that were decrypted
 * @param serverRecords    protected records the server sent that were decrypted
 * @param keyUpdates       KeyUpdate messages followed (both sides)
 * @param earlyDataRecords 0-RTT records passed over (early data is not decrypted)
 * @param notes            what stopped decryption early, if anything (a gap in the capture, a record that did
 *                         not decrypt after others did)
 */
public record TlsReport(Status status, String detail, String suite, long clientRecords, long serverRecords,
                        int keyUpdates, int earlyDataRecords, List<String> notes) {

    public TlsReport {
        notes = List.copyOf(notes);
    }

    /** The outcome of decrypting one connection. */
    public enum Status {
        /** Records were decrypted with the key log's secrets. */
        DECRYPTED("decrypted"),
        /** The key log holds no secrets for this connection's client random. */
        NO_KEY("no key"),
        /** The secrets are there, but the connection's records do not decrypt with them. */
        KEY_MISMATCH("key does not match"),
        /** The ClientHello or ServerHello is not in the capture, so the client random or cipher suite is unknown. */
        NO_HANDSHAKE("handshake not captured"),
        /** TLS 1.1 or older. */
        OLD_VERSION("TLS 1.1 or older"),
        /** A suite meshcap does not implement: TLS 1.3's CCM suites, TLS 1.2's CBC ones (Wireshark decrypts them). */
        UNSUPPORTED_SUITE("cipher suite not supported");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        /** A short label for tables. */
        public String label() {
            return label;
        }
    }
}
