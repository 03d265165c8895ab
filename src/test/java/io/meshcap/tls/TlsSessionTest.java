package io.meshcap.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.LoopbackCapture;
import io.meshcap.testing.OpensslTls;
import io.meshcap.testing.ScratchNamespace;
import io.meshcap.testing.TlsJudge;
import io.meshcap.testing.Tshark;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS 1.3 decryption on real captures: OpenSSL's s_client and s_server (client certificates, key logs) in a
 * namespace of the test's own whose lo has a small MTU, so records span several segments, and loses the first full
 * segment each client sends before tcpdump sees it, so TCP retransmits it after the later ones and the capture holds
 * segments out of order. Wireshark's decryption of the same capture is the judge, and what the client sent is a
 * second one.
 */
class TlsSessionTest {

    private static final int MTU = 1200;
    private static final String[] LINES = {"hello over TLS 1.3", "x".repeat(5000) + " five thousand",
        "0123456789".repeat(1200) + " twelve thousand"};
    private static final String AFTER_UPDATE = "after a KeyUpdate that asked the server for one";
    private static final String AFTER_SECOND_UPDATE = "after a KeyUpdate of the client alone";

    @TempDir
    static Path dir;

    /** One recording per suite, shared by the tests that need one. */
    private static final Map<CipherSuite, Recorded> RECORDED = new EnumMap<>(CipherSuite.class);

    private static OpensslTls.Pki pki;
    private static ScratchNamespace namespace;

    @BeforeAll
    static void namespaceAndCertificates() {
        pki = OpensslTls.pki(dir);
        namespace = ScratchNamespace.create("mctls", MTU);
        loseTheFirstFullSegmentOfEachClient();
    }

    /**
     * Loses the first segment of a full MTU that a client sends on each connection, before tcpdump sees it. The client's
     * handshake fits one segment, so this is the first segment of the first line longer than one, and the rest of
     * that line follows it: the capture holds those segments, then TCP's retransmission of the lost one. Without GSO
     * on lo each segment passes netfilter alone (otherwise a whole write passes as one packet and nothing follows it).
     * A DROP in OUTPUT would not do: TCP learns that its send failed and sends the segment again as new, in order.
     * A queue that no program reads frees the packet and tells TCP it went out, as a loss on a wire does.
     */
    private static void loseTheFirstFullSegmentOfEachClient() {
        namespace.run("ip", "link", "set", "lo", "gso_max_segs", "1");
        namespace.run("iptables", "-N", "LOSE_ONCE");
        namespace.run("iptables", "-A", "LOSE_ONCE", "-j", "CONNMARK", "--set-mark", "1");
        namespace.run("iptables", "-A", "LOSE_ONCE", "-j", "NFQUEUE", "--queue-num", "7");
        namespace.run("iptables", "-A", "OUTPUT", "-o", "lo", "-p", "tcp", "-m", "conntrack", "--ctdir", "ORIGINAL",
                "-m", "length", "--length", Integer.toString(MTU), "-m", "connmark", "--mark", "0", "-j", "LOSE_ONCE");
    }

    @AfterAll
    static void removeNamespace() {
        namespace.close();
    }

    /** One recorded connection: the capture, the client's key log and the server's port. */
    private record Recorded(Path capture, Path keyLog, int port, byte[] sent, byte[] echoed) {
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void decryptsBothSidesAsWiresharkDoes(CipherSuite suite) throws Exception {
        Recorded recorded = recorded(suite);

        CaptureDecryption.Result result = CaptureDecryption.decrypt(recorded.capture(), recorded.port(),
                keys(recorded.keyLog()));

        TlsJudge.Decrypted judged = TlsJudge.follow(recorded.capture(), recorded.keyLog(), 0, recorded.port());
        assertEquals(TlsReport.Status.DECRYPTED, result.report().status(), result.report().toString());
        assertEquals("TLS 1.3, " + suite.name(), result.report().suite());
        assertArrayEquals(judged.client(), result.client(), "client side differs from tshark's decryption");
        assertArrayEquals(judged.server(), result.server(), "server side differs from tshark's decryption");
        assertArrayEquals(recorded.sent(), result.client(), "the client side is what s_client sent");
        assertArrayEquals(recorded.echoed(), result.server(), "the server side is what s_server echoed");
        // K: the client's update and the server's answer to it; k: the client's alone.
        assertEquals(3, result.report().keyUpdates(), result.report().toString());
        assertTrue(result.report().notes().isEmpty(), result.report().notes().toString());
        assertTrue(Tshark.fields(recorded.capture(), "tcp.analysis.out_of_order or tcp.analysis.retransmission",
                "frame.number").size() > 0, "the capture holds no out-of-order segment: the loss rule did not bite");
    }

    @Test
    void aHelloRetryRequestKeepsTheFirstClientRandomAndTheSecondServerHello() throws Exception {
        // The client's key share is for X25519 only; the server takes P-256 and asks again.
        Recorded recorded = record("retry", List.of("-tls1_3", "-groups", "P-256"),
                List.of("-tls1_3", "-groups", "X25519:P-256"), List.of(LINES[0]));
        assertEquals(1, Tshark.fields(recorded.capture(), "tls.handshake.type == 1", "frame.number").size() - 1,
                "s_client sent a second ClientHello: the server asked again");

        CaptureDecryption.Result result = CaptureDecryption.decrypt(recorded.capture(), recorded.port(),
                keys(recorded.keyLog()));

        assertEquals(TlsReport.Status.DECRYPTED, result.report().status(), result.report().toString());
        TlsJudge.Decrypted judged = TlsJudge.follow(recorded.capture(), recorded.keyLog(), 0, recorded.port());
        assertArrayEquals(judged.client(), result.client());
        assertArrayEquals(judged.server(), result.server());
    }

    @Test
    void segmentsRepeatedAndSwappedOnTheWayInGiveTheSameBytes() throws Exception {
        Recorded recorded = recorded(CipherSuite.TLS_AES_128_GCM_SHA256);
        TlsJudge.Decrypted judged = TlsJudge.follow(recorded.capture(), recorded.keyLog(), 0, recorded.port());

        // Every data segment twice, and each pair of neighbours swapped: retransmissions and reordering on top of
        // what the capture already holds.
        CaptureDecryption.Result result = CaptureDecryption.decrypt(recorded.capture(), recorded.port(),
                keys(recorded.keyLog()), segments -> {
                    List<CaptureDecryption.Segment> shuffled = new ArrayList<>();
                    for (int i = 0; i < segments.size(); i += 2) {
                        List<CaptureDecryption.Segment> pair = segments.subList(i, Math.min(i + 2, segments.size()));
                        for (int j = pair.size() - 1; j >= 0; j--) {
                            shuffled.add(pair.get(j));
                            shuffled.add(pair.get(j));
                        }
                    }
                    return shuffled;
                });

        assertArrayEquals(judged.client(), result.client());
        assertArrayEquals(judged.server(), result.server());
    }

    @Test
    void aSegmentMissingFromTheCaptureStopsThatSideWithTheReason() throws Exception {
        Recorded recorded = recorded(CipherSuite.TLS_AES_128_GCM_SHA256);
        List<CaptureDecryption.Segment> sent = CaptureDecryption.segments(recorded.capture(), recorded.port())
                .stream().filter(segment -> segment.fromClient() && segment.segment().payloadLength() > 0).toList();
        long lost = sent.get(sent.size() / 2).segment().tcp().sequence();

        // Every copy of one segment in the middle of what the client sent, as if the capture had missed it.
        CaptureDecryption.Result result = CaptureDecryption.decrypt(recorded.capture(), recorded.port(),
                keys(recorded.keyLog()), segments -> segments.stream()
                        .filter(segment -> !segment.fromClient() || segment.segment().tcp().sequence() != lost)
                        .toList());

        assertEquals(TlsReport.Status.DECRYPTED, result.report().status());
        assertTrue(result.report().notes().stream().anyMatch(note -> note.startsWith("client side stopped after")
                && note.contains("were never captured")), result.report().notes().toString());
    }

    @Test
    void withoutItsKeysAConnectionSaysSoAndWithWrongOnesThatTheyDoNotMatch() throws Exception {
        Recorded recorded = recorded(CipherSuite.TLS_AES_128_GCM_SHA256);
        Recorded other = recorded(CipherSuite.TLS_AES_256_GCM_SHA384);

        TlsReport noKey = CaptureDecryption.decrypt(recorded.capture(), recorded.port(), keys(other.keyLog())).report();
        assertEquals(TlsReport.Status.NO_KEY, noKey.status(), noKey.toString());

        // The right client random with another connection's secrets.
        String ownRandom = Files.readAllLines(recorded.keyLog()).stream().filter(line -> !line.startsWith("#"))
                .findFirst().orElseThrow().split(" ")[1];
        Path swapped = dir.resolve("swapped.keys");
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(other.keyLog())) {
            String[] fields = line.split(" ");
            lines.add(fields.length == 3 ? fields[0] + " " + ownRandom + " " + fields[2] : line);
        }
        Files.write(swapped, lines);
        TlsReport mismatch = CaptureDecryption.decrypt(recorded.capture(), recorded.port(), keys(swapped)).report();
        assertEquals(TlsReport.Status.KEY_MISMATCH, mismatch.status(), mismatch.toString());
        assertEquals(0, mismatch.clientRecords());
    }

    /** OpenSSL's names of the TLS 1.2 AEAD suites for the tests' ECDSA certificates, and meshcap's. */
    @ParameterizedTest
    @CsvSource({"ECDHE-ECDSA-AES128-GCM-SHA256, AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384, AES_256_GCM_SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305, CHACHA20_POLY1305_SHA256"})
    void tls12WithAnAeadSuiteIsDecryptedAsWiresharkDoes(String openssl, String meshcap) throws Exception {
        Recorded recorded = record("tls12-" + meshcap, List.of("-tls1_2", "-cipher", openssl),
                List.of("-tls1_2", "-cipher", openssl), List.of(LINES[0], LINES[1], LINES[2]));
        assertTrue(Files.readString(recorded.keyLog()).contains("CLIENT_RANDOM "), "OpenSSL logs TLS 1.2 keys so");

        CaptureDecryption.Result result = CaptureDecryption.decrypt(recorded.capture(), recorded.port(),
                keys(recorded.keyLog()));

        assertEquals(TlsReport.Status.DECRYPTED, result.report().status(), result.report().toString());
        assertEquals("TLS 1.2, " + meshcap, result.report().suite());
        TlsJudge.Decrypted judged = TlsJudge.follow(recorded.capture(), recorded.keyLog(), 0, recorded.port());
        assertArrayEquals(judged.client(), result.client(), "client side differs from tshark's decryption");
        assertArrayEquals(judged.server(), result.server(), "server side differs from tshark's decryption");
        assertArrayEquals(recorded.sent(), result.client());
    }

    @Test
    void tls11IsToldApart() throws Exception {
        // OpenSSL 3 speaks TLS 1.1 only at security level 0.
        List<String> options = List.of("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
        Recorded recorded = record("tls11", options, options, List.of(LINES[0]));

        TlsReport report = CaptureDecryption.decrypt(recorded.capture(), recorded.port(), keys(recorded.keyLog()))
                .report();

        assertEquals(TlsReport.Status.OLD_VERSION, report.status(), report.toString());
        assertEquals("version 0x0302: meshcap decrypts TLS 1.2 and 1.3", report.detail());
    }

    @Test
    void tls12WithACbcSuiteIsToldApartAndLeftToWireshark() throws Exception {
        Recorded recorded = record("tls12-cbc", List.of("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"),
                List.of("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"), List.of(LINES[0]));

        TlsReport report = CaptureDecryption.decrypt(recorded.capture(), recorded.port(), keys(recorded.keyLog()))
                .report();

        assertEquals(TlsReport.Status.UNSUPPORTED_SUITE, report.status(), report.toString());
        assertEquals("TLS 1.2 cipher suite 0xc023: meshcap decrypts the AES-GCM and ChaCha20-Poly1305 suites (the key"
                + " log has its keys: Wireshark decrypts it)", report.detail());
        TlsJudge.Decrypted judged = TlsJudge.follow(recorded.capture(), recorded.keyLog(), 0, recorded.port());
        assertArrayEquals(recorded.sent(), judged.client(), "Wireshark does decrypt it");
    }

    @Test
    void aCaptureThatStartsAfterTheHandshakeCannotBeDecrypted() throws Exception {
        Recorded recorded = recorded(CipherSuite.TLS_AES_128_GCM_SHA256);
        List<CaptureDecryption.Segment> all = CaptureDecryption.segments(recorded.capture(), recorded.port());
        int firstEcho = all.size() / 2;

        TlsReport report = CaptureDecryption.decrypt(recorded.capture(), recorded.port(), keys(recorded.keyLog()),
                segments -> segments.subList(firstEcho, segments.size())).report();

        assertEquals(TlsReport.Status.NO_HANDSHAKE, report.status(), report.toString());
    }

    @Test
    void earlyDataIsPassedOverAndWhatFollowsDecrypted() throws Exception {
        Path capture = dir.resolve("early.pcap");
        Path keyLog = dir.resolve("early.keys");
        Path session = dir.resolve("early.session");
        Path early = Files.writeString(dir.resolve("early.txt"), "GET /early HTTP/1.1\r\nHost: lab\r\n\r\n");
        int port;
        try (LoopbackCapture tcpdump = LoopbackCapture.inNamespace(namespace.name(), "lo", capture, "tcp");
                OpensslTls.Server server = OpensslTls.server(namespace, pki, dir.resolve("early.server-keys"), 2,
                        "-tls1_3", "-early_data")) {
            port = server.port();
            try (OpensslTls.Tool first = OpensslTls.client(namespace, pki, port, keyLog, "-tls1_3", "-sess_out",
                    session.toString())) {
                first.send("first");
                server.awaitLine(Pattern.compile("^first$"));
                awaitTicket(session);
            }
            try (OpensslTls.Tool second = OpensslTls.client(namespace, pki, port, keyLog, "-tls1_3", "-sess_in",
                    session.toString(), "-early_data", early.toString())) {
                second.send("second");
                server.awaitLine(Pattern.compile("^second$"));
            }
        }
        List<CaptureDecryption.Segment> segments = CaptureDecryption.segments(capture, port);
        int resumed = segments.stream().filter(s -> s.fromClient() && s.segment().tcp().isSyn())
                .map(s -> s.segment().tcp().sourcePort()).reduce((a, b) -> b).orElseThrow();

        CaptureDecryption.Result result = CaptureDecryption.decrypt(capture, port, keys(keyLog), all -> all.stream()
                .filter(s -> s.segment().tcp().sourcePort() == resumed || s.segment().tcp().destinationPort() == resumed)
                .toList());

        TlsJudge.Decrypted judged = TlsJudge.follow(capture, keyLog, 1, port);
        assertEquals(Files.readString(early) + "second\n", new String(judged.client(), StandardCharsets.ISO_8859_1),
                "tshark decrypts the early data too: it was sent");
        assertEquals(TlsReport.Status.DECRYPTED, result.report().status(), result.report().toString());
        assertTrue(result.report().earlyDataRecords() > 0, result.report().toString());
        assertEquals("second\n", new String(result.client(), StandardCharsets.ISO_8859_1));
    }

    /** s_client writes the session once the server's ticket has come. */
    private static void awaitTicket(Path session) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(session) || Files.size(session) == 0) {
            assertTrue(System.nanoTime() < deadline, "no session ticket from s_server");
            Thread.sleep(20);
        }
    }

    private static Recorded recorded(CipherSuite suite) throws Exception {
        Recorded recorded = RECORDED.get(suite);
        if (recorded == null) {
            recorded = record(suite.name(), List.of("-tls1_3", "-ciphersuites", suite.name()),
                    List.of("-tls1_3", "-ciphersuites", suite.name()),
                    List.of(LINES[0], LINES[1], LINES[2], "K", AFTER_UPDATE, "k", AFTER_SECOND_UPDATE));
            RECORDED.put(suite, recorded);
        }
        return recorded;
    }

    private static KeyLog keys(Path keyLog) {
        return KeyLog.read(keyLog);
    }

    /**
     * Runs one s_client to s_server connection under tcpdump: each data line is sent and its reversed echo awaited,
     * {@code K} and {@code k} make the client update its keys.
     */
    private static Recorded record(String name, List<String> serverOptions, List<String> clientOptions,
                                   List<String> lines) throws Exception {
        Path capture = dir.resolve(name + ".pcap");
        Path keyLog = dir.resolve(name + ".keys");
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        int port;
        try (LoopbackCapture tcpdump = LoopbackCapture.inNamespace(namespace.name(), "lo", capture, "tcp");
                OpensslTls.Server server = OpensslTls.server(namespace, pki, dir.resolve(name + ".server-keys"), 1,
                        Stream.concat(Stream.of("-rev"), serverOptions.stream()).toArray(String[]::new))) {
            port = server.port();
            try (OpensslTls.Tool client = OpensslTls.client(namespace, pki, port, keyLog,
                    clientOptions.toArray(String[]::new))) {
                for (String line : lines) {
                    if (line.equalsIgnoreCase("k")) {
                        client.keyUpdate(line.equals("K"));
                        continue;
                    }
                    client.send(line);
                    String reversed = new StringBuilder(line).reverse().toString();
                    client.awaitLine(Pattern.compile("^" + Pattern.quote(reversed) + "$"));
                    sent.writeBytes((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
                    echoed.writeBytes((reversed + "\n").getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        }
        return new Recorded(capture, keyLog, port, sent.toByteArray(), echoed.toByteArray());
    }
}
