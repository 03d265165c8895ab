package io.meshcap.tls;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decrypts one TLS 1.3 connection from both directions' bytes in order (see {@link StreamReassembler}) and a key log.
 * The client random comes from the ClientHello and the cipher suite from the ServerHello; the handshake traffic
 * secrets protect each side's records until its Finished, the application traffic secrets after it, and a KeyUpdate
 * moves a side on to its next secret (RFC 8446 7.2). Secrets are looked up when the ServerHello arrives, so keys
 * added to the key log before that count.
 *
 * <p>Only the sides asked for are decrypted past the ServerHello: to read the calls a client makes, its own records
 * are enough, and the server's (the larger part of most traffic) are not worth the work.
 *
 * <p>Not decrypted, and said so in the {@link #report()}: 0-RTT early data (passed over), TLS 1.2 and older, the
 * CCM suites, and anything after a gap in the capture or a record that does not decrypt.
 */
public final class TlsSession {

    /** The two ends of a connection; the client sent the ClientHello. */
    public enum Side { CLIENT, SERVER }

    /** Receives the application data of the sides asked for, in order. */
    @FunctionalInterface
    public interface Plaintext {

        /** {@code data[from, to)} of one record the {@code sender} sent, captured at {@code timestampNanos}. */
        void applicationData(Side sender, byte[] data, int from, int to, long timestampNanos);
    }

    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int ALERT = 21;
    private static final int HANDSHAKE = 22;
    private static final int APPLICATION_DATA = 23;
    private static final int RANDOM_OFFSET = 2;
    private static final int RANDOM_LENGTH = 32;

    private final Supplier<KeyLog> keys;
    private final Plaintext plaintext;
    private final Flow client;
    private final Flow server;
    /** Hex, as key logs file secrets under it. */
    private String clientRandom;
    private CipherSuite suite;
    private TlsReport.Status status;
    private String detail;
    private final List<String> notes = new ArrayList<>();

    /**
     * @param keys          the key log as it stands when the ServerHello arrives (it may grow while a capture is
     *                      read)
     * @param decryptClient whether to decrypt what the client sends
     * @param decryptServer whether to decrypt what the server sends
     */
    public TlsSession(Supplier<KeyLog> keys, Plaintext plaintext, boolean decryptClient, boolean decryptServer) {
        this.keys = keys;
        this.plaintext = plaintext;
        this.client = new Flow(Side.CLIENT, decryptClient, KeyLog.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
                KeyLog.CLIENT_TRAFFIC_SECRET_0);
        this.server = new Flow(Side.SERVER, decryptServer, KeyLog.SERVER_HANDSHAKE_TRAFFIC_SECRET,
                KeyLog.SERVER_TRAFFIC_SECRET_0);
    }

    /** The next bytes {@code sender} sent, in stream order. */
    public void bytes(Side sender, byte[] data, int from, int to, long timestampNanos) {
        flow(sender).framer.bytes(data, from, to, timestampNanos);
    }

    /** {@code sender}'s bytes stop being readable (see {@link StreamReassembler.Sink#gap}). */
    public void gap(Side sender, String reason) {
        flow(sender).stop(reason);
    }

    /** Where a reassembler of {@code sender}'s direction puts its bytes: into this session. */
    public StreamReassembler.Sink from(Side sender) {
        return new StreamReassembler.Sink() {
            @Override
            public void bytes(byte[] data, int from, int to, long timestampNanos) {
                TlsSession.this.bytes(sender, data, from, to, timestampNanos);
            }

            @Override
            public void gap(String reason) {
                TlsSession.this.gap(sender, reason);
            }
        };
    }

    /** Whether bytes {@code sender} sends are still of use: false once that side is decrypted as far as asked. */
    public boolean reading(Side sender) {
        return flow(sender).phase != Phase.DONE;
    }

    /** What became of the connection so far. */
    public TlsReport report() {
        TlsReport.Status outcome = status;
        String words = detail;
        if (outcome == null) {
            boolean decrypted = client.records + server.records > 0;
            boolean failed = client.failed && client.records == 0 || server.failed && server.records == 0;
            if (suite == null) {
                outcome = TlsReport.Status.NO_HANDSHAKE;
                words = clientRandom == null ? "the ClientHello is not in the capture"
                        : "the ServerHello is not in the capture";
            } else if (failed) {
                outcome = TlsReport.Status.KEY_MISMATCH;
                words = "the key log has secrets for this client random, but the records do not decrypt with them";
            } else {
                outcome = TlsReport.Status.DECRYPTED;
                words = decrypted ? suite.name() : suite.name() + ", no protected records yet";
            }
        }
        return new TlsReport(outcome, words, suite, client.records, server.records,
                client.keyUpdates + server.keyUpdates, client.earlyData, notes);
    }

    private Flow flow(Side side) {
        return side == Side.CLIENT ? client : server;
    }

    /** The ServerHello chose the version and suite: look up the secrets and protect what follows. */
    private void serverHello(ServerHello hello) {
        if (hello.retry()) {
            return;
        }
        if (!hello.tls13()) {
            boolean logged = clientRandom != null && keys.get().secret(KeyLog.CLIENT_RANDOM, clientRandom).isPresent();
            end(TlsReport.Status.NOT_TLS13, "TLS 1.2 or older: meshcap decrypts TLS 1.3 only"
                    + (logged ? " (the key log has its CLIENT_RANDOM line: Wireshark decrypts it)" : ""));
            return;
        }
        Optional<CipherSuite> chosen = CipherSuite.of(hello.cipherSuite());
        if (chosen.isEmpty()) {
            end(TlsReport.Status.UNSUPPORTED_SUITE, String.format("cipher suite 0x%04x", hello.cipherSuite()));
            return;
        }
        if (clientRandom == null) {
            end(TlsReport.Status.NO_HANDSHAKE, "the ClientHello is not in the capture");
            return;
        }
        suite = chosen.get();
        List<String> missing = new ArrayList<>();
        for (Flow flow : List.of(client, server)) {
            flow.lookUp(missing);
        }
        if (!missing.isEmpty()) {
            end(TlsReport.Status.NO_KEY, "no " + String.join(", ", missing) + " for client random " + clientRandom);
            return;
        }
        client.protect();
        server.protect();
    }

    private void end(TlsReport.Status outcome, String words) {
        status = outcome;
        detail = words;
        client.phase = Phase.DONE;
        server.phase = Phase.DONE;
    }

    private enum Phase { HELLO, HANDSHAKE, APPLICATION, DONE }

    /** One side's records: framing, the handshake messages in them, and the keys that protect them. */
    private final class Flow implements RecordFramer.Records, HandshakeWalker.Messages {

        private final Side side;
        private final boolean wanted;
        private final String handshakeLabel;
        private final String applicationLabel;
        private final RecordFramer framer = new RecordFramer(this);
        private final HandshakeWalker walker = new HandshakeWalker(this);
        private Phase phase = Phase.HELLO;
        private byte[] handshakeSecret;
        private byte[] applicationSecret;
        private RecordDecryptor decryptor;
        private boolean finished;
        private boolean keyUpdate;
        private boolean failed;
        private long records;
        private int keyUpdates;
        private int earlyData;

        Flow(Side side, boolean wanted, String handshakeLabel, String applicationLabel) {
            this.side = side;
            this.wanted = wanted;
            this.handshakeLabel = handshakeLabel;
            this.applicationLabel = applicationLabel;
        }

        void lookUp(List<String> missing) {
            if (!wanted) {
                return;
            }
            KeyLog log = keys.get();
            handshakeSecret = log.secret(handshakeLabel, clientRandom).orElse(null);
            applicationSecret = log.secret(applicationLabel, clientRandom).orElse(null);
            if (handshakeSecret == null) {
                missing.add(handshakeLabel);
            }
            if (applicationSecret == null) {
                missing.add(applicationLabel);
            }
        }

        /** From the record after the ServerHello on, this side's records are protected (or of no interest). */
        void protect() {
            if (wanted) {
                decryptor = new RecordDecryptor(suite, handshakeSecret);
                phase = Phase.HANDSHAKE;
            } else if (side == Side.SERVER) {
                phase = Phase.DONE;
            }
        }

        void stop(String reason) {
            if (phase != Phase.DONE) {
                notes.add(side.name().toLowerCase() + " side stopped after " + records + " records: " + reason);
            }
            phase = Phase.DONE;
        }

        @Override
        public void notRecords(String reason) {
            stop(reason);
        }

        @Override
        public void record(byte[] header, byte[] body, int from, int to, long timestampNanos) {
            int type = header[0] & 0xff;
            if (phase == Phase.DONE || type == CHANGE_CIPHER_SPEC) {
                // Sent for middlebox compatibility, never protected, no content.
                return;
            }
            if (phase == Phase.HELLO) {
                hello(type, body, from, to);
                return;
            }
            if (type == ALERT) {
                phase = Phase.DONE;
                return;
            }
            RecordDecryptor.Opened opened = type == APPLICATION_DATA ? decryptor.open(header, body, from, to) : null;
            if (opened == null) {
                notOpened(type);
                return;
            }
            records++;
            switch (opened.contentType()) {
                case HANDSHAKE -> handshake(opened);
                case APPLICATION_DATA -> {
                    if (phase == Phase.APPLICATION) {
                        plaintext.applicationData(side, opened.bytes(), 0, opened.length(), timestampNanos);
                    }
                }
                case ALERT -> phase = Phase.DONE;
                default -> {
                    // Nothing else may be protected; such a record carries nothing to read.
                }
            }
        }

        /** Before the ServerHello everything is in the clear, except a client's 0-RTT early data. */
        private void hello(int type, byte[] body, int from, int to) {
            if (type == HANDSHAKE) {
                walker.bytes(body, from, to);
            } else if (type == APPLICATION_DATA && side == Side.CLIENT) {
                earlyData++;
            } else {
                phase = Phase.DONE;
            }
        }

        private void handshake(RecordDecryptor.Opened opened) {
            walker.bytes(opened.bytes(), 0, opened.length());
            if (finished) {
                finished = false;
                decryptor = new RecordDecryptor(suite, applicationSecret);
                phase = Phase.APPLICATION;
            }
            if (keyUpdate) {
                keyUpdate = false;
                decryptor.update();
                keyUpdates++;
            }
        }

        private void notOpened(int type) {
            if (phase == Phase.HANDSHAKE && records == 0 && side == Side.CLIENT && type == APPLICATION_DATA) {
                // Early data the server accepted comes before the client's handshake records, under a key the
                // handshake secret does not give.
                earlyData++;
                return;
            }
            failed = true;
            notes.add(side.name().toLowerCase() + " side stopped after " + records + " records: a record of type "
                    + type + " did not decrypt");
            phase = Phase.DONE;
        }

        @Override
        public void message(int type, byte[] body, int kept, int length) {
            if (type == HandshakeWalker.CLIENT_HELLO && side == Side.CLIENT && clientRandom == null
                    && kept >= RANDOM_OFFSET + RANDOM_LENGTH) {
                clientRandom = HexFormat.of().formatHex(body, RANDOM_OFFSET, RANDOM_OFFSET + RANDOM_LENGTH);
            } else if (type == HandshakeWalker.SERVER_HELLO && side == Side.SERVER && phase == Phase.HELLO) {
                ServerHello.parse(body, kept).ifPresentOrElse(TlsSession.this::serverHello,
                        () -> end(TlsReport.Status.NO_HANDSHAKE, "the ServerHello does not parse"));
            } else if (type == HandshakeWalker.FINISHED && phase == Phase.HANDSHAKE) {
                finished = true;
            } else if (type == HandshakeWalker.KEY_UPDATE && phase == Phase.APPLICATION) {
                keyUpdate = true;
            }
        }
    }
}
