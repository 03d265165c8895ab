package io.meshcap.tls;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decrypts one TLS connection from both directions' bytes in order (see {@link StreamReassembler}) and a key log.
 * The client random comes from the ClientHello, the version and cipher suite from the ServerHello. TLS 1.3: the
 * handshake traffic secrets protect each side's records until its Finished, the application traffic secrets after
 * it, and a KeyUpdate moves a side on to its next secret (RFC 8446 7.2). TLS 1.2 with an AEAD suite: the master
 * secret's keys protect each side's records after its ChangeCipherSpec. Secrets are looked up when the ServerHello
 * arrives, so keys added to the key log before that count.
 *
 * <p>Only the sides asked for are decrypted past the ServerHello: to read the calls a client makes, its own records
 * are enough, and the server's (the larger part of most traffic) are not worth the work.
 *
 * <p>Not decrypted, and said so in the {@link #report()}: 0-RTT early data (passed over), TLS 1.1 and older, the
 * TLS 1.3 CCM suites and the TLS 1.2 CBC ones, and anything after a gap in the capture or a record that does not
 * decrypt.
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
    /** {@code TLS 1.3, TLS_AES_128_GCM_SHA256}, once the ServerHello chose one meshcap decrypts. */
    private String suite;
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
                words = decrypted ? suite : suite + ", no protected records yet";
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
        if (hello.version() != ServerHello.TLS13 && hello.version() != ServerHello.TLS12) {
            end(TlsReport.Status.OLD_VERSION, String.format("version 0x%04x: meshcap decrypts TLS 1.2 and 1.3",
                    hello.version()));
            return;
        }
        boolean tls13 = hello.version() == ServerHello.TLS13;
        Optional<CipherSuite> chosen13 = tls13 ? CipherSuite.of(hello.cipherSuite()) : Optional.empty();
        Optional<Tls12Suite> chosen12 = tls13 ? Optional.empty() : Tls12Suite.of(hello.cipherSuite());
        if (chosen13.isEmpty() && chosen12.isEmpty()) {
            end(TlsReport.Status.UNSUPPORTED_SUITE, String.format("TLS 1.%d cipher suite 0x%04x: meshcap decrypts the"
                    + " AES-GCM and ChaCha20-Poly1305 suites%s", tls13 ? 3 : 2, hello.cipherSuite(),
                    clientRandom != null && keys.get().hasKeysFor(clientRandom)
                            ? " (the key log has its keys: Wireshark decrypts it)" : ""));
            return;
        }
        if (clientRandom == null) {
            end(TlsReport.Status.NO_HANDSHAKE, "the ClientHello is not in the capture");
            return;
        }
        if (tls13) {
            protect13(chosen13.get());
        } else {
            protect12(chosen12.get(), hello.random());
        }
    }

    private void protect13(CipherSuite chosen) {
        List<String> missing = new ArrayList<>();
        for (Flow flow : List.of(client, server)) {
            flow.lookUp(missing);
        }
        if (!missing.isEmpty()) {
            end(TlsReport.Status.NO_KEY, "no " + String.join(", ", missing) + " for client random " + clientRandom);
            return;
        }
        suite = "TLS 1.3, " + chosen.name();
        client.protect(chosen);
        server.protect(chosen);
    }

    private void protect12(Tls12Suite chosen, byte[] serverRandom) {
        Optional<byte[]> master = keys.get().secret(KeyLog.CLIENT_RANDOM, clientRandom);
        if (master.isEmpty()) {
            end(TlsReport.Status.NO_KEY, "no " + KeyLog.CLIENT_RANDOM + " line for client random " + clientRandom);
            return;
        }
        suite = "TLS 1.2, " + chosen.name();
        Tls12RecordDecryptor[] sides = Tls12RecordDecryptor.fromMasterSecret(chosen, master.get(),
                HexFormat.of().parseHex(clientRandom), serverRandom);
        client.protectAfterChangeCipherSpec(sides[0]);
        server.protectAfterChangeCipherSpec(sides[1]);
    }

    private void end(TlsReport.Status outcome, String words) {
        status = outcome;
        detail = words;
        client.phase = Phase.DONE;
        server.phase = Phase.DONE;
    }

    /**
     * Where a side is: HELLO before its records are protected (TLS 1.2: until its ChangeCipherSpec), HANDSHAKE under
     * TLS 1.3's handshake secret, APPLICATION under the keys that protect its data, DONE when nothing more is read.
     */
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
        /** What opens this side's records now. */
        private RecordProtection protection;
        /** TLS 1.3's decryptor, which KeyUpdates move on; null for TLS 1.2. */
        private RecordDecryptor decryptor;
        /** TLS 1.2: what protects this side's records once it has sent ChangeCipherSpec. */
        private RecordProtection afterChangeCipherSpec;
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

        /** TLS 1.3: from the record after the ServerHello on, this side's records are protected (or of no interest). */
        void protect(CipherSuite chosen) {
            if (wanted) {
                decryptor = new RecordDecryptor(chosen, handshakeSecret);
                protection = decryptor;
                phase = Phase.HANDSHAKE;
            } else if (side == Side.SERVER) {
                phase = Phase.DONE;
            }
        }

        /** TLS 1.2: this side's records are protected from its ChangeCipherSpec on (or of no interest). */
        void protectAfterChangeCipherSpec(RecordProtection keys) {
            if (wanted) {
                afterChangeCipherSpec = keys;
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
            if (phase == Phase.DONE) {
                return;
            }
            if (type == CHANGE_CIPHER_SPEC) {
                // TLS 1.2: the keys change here. TLS 1.3 sends one for middlebox compatibility, with no meaning.
                if (afterChangeCipherSpec != null) {
                    protection = afterChangeCipherSpec;
                    afterChangeCipherSpec = null;
                    phase = Phase.APPLICATION;
                }
                return;
            }
            if (phase == Phase.HELLO) {
                hello(type, body, from, to);
                return;
            }
            // TLS 1.3 protects every record as application data; TLS 1.2 keeps the real type outside.
            boolean protectedRecord = type == APPLICATION_DATA || decryptor == null;
            if (!protectedRecord) {
                phase = Phase.DONE;
                return;
            }
            RecordProtection.Opened opened = protection.open(header, body, from, to);
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

        private void handshake(RecordProtection.Opened opened) {
            walker.bytes(opened.bytes(), 0, opened.length());
            if (finished) {
                finished = false;
                decryptor = new RecordDecryptor(decryptor.suite(), applicationSecret);
                protection = decryptor;
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
            } else if (type == HandshakeWalker.KEY_UPDATE && phase == Phase.APPLICATION && decryptor != null) {
                keyUpdate = true;
            }
        }
    }
}
