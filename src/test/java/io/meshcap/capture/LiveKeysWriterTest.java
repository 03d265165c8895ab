package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.format.SectionInfo;
import io.meshcap.testing.OpensslTls;
import io.meshcap.testing.Tshark;
import io.meshcap.tls.KeyLog;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live stream's TLS keys against real TLS 1.3 (OpenSSL's s_server and s_client, their own key log) and tshark as
 * the judge, reading with no settings: keys that come after a connection's ClientHello still decrypt it, because its
 * packets wait for them; keys that never come release the packets after the bound, marked.
 */
class LiveKeysWriterTest {

    private static final int CALLS = 3;

    @TempDir
    static Path recordings;
    @TempDir
    Path dir;

    private static OpensslTls.Recorded recorded;
    /** The test's monotonic clock, far from 0 as System.nanoTime is: a held time is a difference of two readings. */
    private final AtomicLong clock = new AtomicLong(Duration.ofHours(7).toNanos());

    @BeforeAll
    static void record() throws Exception {
        recorded = OpensslTls.record(recordings, CALLS);
    }

    /** Writes the recorded packets through {@code writer}, the way the live stream does. */
    private static int copy(CaptureWriter writer) {
        int packets = 0;
        try (CaptureReader reader = CaptureFormats.open(recorded.capture())) {
            writer.describeSection(SectionInfo.NONE);
            reader.interfaces().forEach(writer::addInterface);
            for (CaptureRecord record = reader.next(); record != null; record = reader.next()) {
                writer.write(record);
                packets++;
            }
        }
        return packets;
    }

    /** A writer to {@code out} that holds connections for 5 s of the test's clock. */
    private LiveKeysWriter writingTo(Path out) {
        return new LiveKeysWriter(CaptureFormats.create(out, OutputFormat.PCAPNG, "test"), Duration.ofSeconds(5),
                clock::get);
    }

    private static KeyLog only(KeyLog keys, Predicate<String> label) {
        return KeyLog.parse("some of the keys", KeyLog.format(keys.entries().stream()
                .filter(entry -> label.test(entry.label())).toList()));
    }

    private static List<String> requests(Path file) {
        return Tshark.fields(file, "http.request", "http.request.uri").stream().map(row -> row.get(0)).toList();
    }

    @Test
    void keysThatComeAfterTheClientHelloStillDecryptBecauseTheConnectionWaitsForThem() {
        Path out = dir.resolve("held.pcapng");
        LiveKeysWriter writer = writingTo(out);
        int packets = copy(writer);
        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        writer.releaseExpired();
        // Endpoints log a connection's secrets one by one: the handshake secrets alone do not release it.
        KeyLog keys = KeyLog.read(recorded.keyLog());
        writer.offer(only(keys, label -> label.contains("HANDSHAKE")));
        writer.flush();
        int withHandshakeSecrets = Tshark.count(out);
        writer.offer(keys);
        LiveKeysWriter.Outcome outcome = writer.finish();
        writer.close();

        assertEquals(4 * CALLS, withHandshakeSecrets, "each connection's handshake and ClientHello: the rest waits");
        assertEquals(recorded.requests(), requests(out), "tshark decrypts every call, with no settings");
        assertEquals(packets, Tshark.count(out), "every packet is written");
        assertEquals(new LiveKeysWriter.Outcome(5 * CALLS, CALLS, 0), outcome);
        List<List<String>> comments = Tshark.fields(out, "frame.comment", "frame.comment");
        assertEquals(CALLS, comments.size(), comments.toString());
        assertTrue(comments.stream().allMatch(row -> row.get(0).equals("meshcap: held back 2.0 s until this TLS"
                + " connection's keys came (they are in the block before)")), comments.toString());
    }

    @Test
    void withoutHoldingTheSameKeysAfterTheServerHelloDecryptNothing() {
        // Why the writer holds: the same packets and keys, the keys' block simply written after the packets.
        Path out = dir.resolve("unheld.pcapng");
        try (CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "test")) {
            copy(writer);
            writer.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG, KeyLog.read(recorded.keyLog())
                    .toBytes()));
        }

        assertEquals(List.of(), requests(out));
    }

    @Test
    void keysThatNeverComeReleaseTheConnectionsAfterTheBoundMarkedAndInOrder() {
        Path out = dir.resolve("never.pcapng");
        LiveKeysWriter writer = writingTo(out);
        int packets = copy(writer);
        clock.addAndGet(Duration.ofMillis(4900).toNanos());
        writer.releaseExpired();
        writer.flush();
        int beforeTheBound = Tshark.count(out);
        clock.addAndGet(Duration.ofMillis(100).toNanos());
        writer.releaseExpired();
        LiveKeysWriter.Outcome outcome = writer.finish();
        writer.close();

        assertEquals(4 * CALLS, beforeTheBound, "each connection's handshake and ClientHello: the rest waits");
        assertEquals(packets, Tshark.count(out));
        assertEquals(new LiveKeysWriter.Outcome(0, CALLS, CALLS), outcome);
        assertEquals(List.of(), requests(out));
        List<List<String>> comments = Tshark.fields(out, "frame.comment", "frame.comment");
        assertTrue(comments.size() == CALLS && comments.stream().allMatch(row -> row.get(0).equals("meshcap: held"
                + " back 5.0 s for this TLS connection's keys; none came, so it is written without them")),
                comments.toString());
        Map<String, List<String>> timesPerConnection = new TreeMap<>();
        Tshark.fields(out, "tcp", "tcp.stream", "frame.time_epoch").forEach(row -> timesPerConnection
                .computeIfAbsent(row.get(0), stream -> new ArrayList<>()).add(row.get(1)));
        assertEquals(CALLS, timesPerConnection.size());
        timesPerConnection.forEach((stream, times) -> assertEquals(times.stream().sorted().toList(), times,
                "each connection's packets stay in time order: " + stream));
    }

    @Test
    void connectionsWhoseKeysCameFirstAreNotHeldTls13ByItsFourSecretsTls12ByItsOne() {
        KeyLog keys = KeyLog.read(recorded.keyLog());
        Path tls13 = dir.resolve("tls13.pcapng");
        LiveKeysWriter writer = writingTo(tls13);
        writer.offer(keys);
        copy(writer);
        assertEquals(new LiveKeysWriter.Outcome(5 * CALLS, 0, 0), writer.finish());
        writer.close();
        assertEquals(recorded.requests(), requests(tls13), "tshark decrypts every call, with no settings");

        // A TLS 1.2 client random's one master secret keys its connection (tshark cannot use it on TLS 1.3).
        String tls12Lines = keys.entries().stream().map(KeyLog.Entry::clientRandom).distinct()
                .map(random -> "CLIENT_RANDOM " + random + " " + "ab".repeat(48) + "\n")
                .collect(Collectors.joining());
        Path tls12 = dir.resolve("tls12.pcapng");
        LiveKeysWriter keyedByMasterSecrets = writingTo(tls12);
        keyedByMasterSecrets.offer(KeyLog.parse("TLS 1.2 lines", tls12Lines.getBytes(StandardCharsets.US_ASCII)));
        int packets = copy(keyedByMasterSecrets);
        assertEquals(new LiveKeysWriter.Outcome(CALLS, 0, 0), keyedByMasterSecrets.finish());
        keyedByMasterSecrets.close();
        assertEquals(packets, Tshark.count(tls12));
        assertEquals(List.of(), Tshark.fields(tls12, "frame.comment", "frame.comment"), "nothing waited");
    }

    @Test
    void connectionsStillWaitingWhenTheCaptureEndsAreWrittenWithoutKeysSayingSo() {
        Path out = dir.resolve("ended.pcapng");
        LiveKeysWriter writer = writingTo(out);
        int packets = copy(writer);
        clock.addAndGet(Duration.ofMillis(1500).toNanos());
        LiveKeysWriter.Outcome outcome = writer.finish();
        writer.close();

        assertEquals(packets, Tshark.count(out));
        assertEquals(new LiveKeysWriter.Outcome(0, CALLS, CALLS), outcome);
        assertEquals(Collections.nCopies(CALLS, List.of("meshcap: held back 1.5 s for this TLS connection's keys; none"
                + " came before the capture ended, so it is written without them")),
                Tshark.fields(out, "frame.comment", "frame.comment"));
    }

    @Test
    void heldPacketsBeyondThirtyTwoMebibytesReleaseTheOldestConnectionWithoutItsKeys() {
        // Copies of the first ClientHello, padded to 1 MiB: each is a packet of the first connection, which waits.
        int hello = Integer.parseInt(Tshark.fields(recorded.capture(), "tls.handshake.type == 1", "frame.number")
                .get(0).get(0));
        CaptureRecord first;
        try (CaptureReader reader = CaptureFormats.open(recorded.capture())) {
            first = reader.next();
            for (int frame = 1; frame < hello; frame++) {
                first = reader.next();
            }
        }
        byte[] padded = Arrays.copyOf(first.data(), 1 << 20);
        Handed handed = new Handed();
        List<CaptureBlock> blocks = handed.blocks;
        LiveKeysWriter writer = new LiveKeysWriter(handed, Duration.ofSeconds(5), clock::get);
        copy(writer);
        int heldBefore = blocks.size();
        int copies = 0;
        while (blocks.size() == heldBefore) {
            assertTrue(copies < 40, "nothing released after " + copies + " MiB held");
            writer.write(new CaptureRecord(first.interfaceId(), first.timestampNanos(), padded.length, padded));
            copies++;
        }
        LiveKeysWriter.Outcome outcome = writer.finish();

        assertEquals(32, copies, "the bound is 32 MiB; the connection's other held packets make the 32nd copy cross it");
        List<String> comments = blocks.stream().map(block -> (CaptureRecord) block)
                .flatMap(record -> record.comments().stream()).toList();
        assertEquals(List.of("meshcap: held back 0.0 s for this TLS connection's keys; the stream could hold no more,"
                + " so it is written without them", "meshcap: held back 0.0 s for this TLS connection's keys; none"
                + " came before the capture ended, so it is written without them", "meshcap: held back 0.0 s for this"
                + " TLS connection's keys; none came before the capture ended, so it is written without them"),
                comments);
        assertEquals(new LiveKeysWriter.Outcome(0, CALLS, CALLS), outcome);
    }

    /**
     * The live stream's reader sees what the writer has handed on (flushed): keys, a released connection and the
     * stream's end each reach it at once, with no further packet to push them out.
     */
    @Test
    void keysReleasedConnectionsAndTheEndAreHandedToTheStreamAtOnce() {
        KeyLog keys = KeyLog.read(recorded.keyLog());
        Handed keyed = new Handed();
        LiveKeysWriter writer = new LiveKeysWriter(keyed, Duration.ofSeconds(5), clock::get);
        int packets = copy(writer);
        assertEquals(0, keyed.flushed, "the stream's merger flushes packets, not the writer");
        writer.offer(keys);
        assertEquals(packets + 1, keyed.flushed, "the keys' block and every packet that waited for them");
        writer.offer(keys);
        assertEquals(packets + 1, keyed.blocks.size(), "keys already written are not written again");

        Handed expired = new Handed();
        LiveKeysWriter expiring = new LiveKeysWriter(expired, Duration.ofSeconds(5), clock::get);
        copy(expiring);
        expiring.releaseExpired();
        assertEquals(0, expired.flushed, "nothing has waited 5 s yet");
        clock.addAndGet(Duration.ofSeconds(5).toNanos());
        expiring.releaseExpired();
        assertEquals(packets, expired.flushed, "the connections that waited 5 s, released without keys");

        Handed ended = new Handed();
        LiveKeysWriter ending = new LiveKeysWriter(ended, Duration.ofSeconds(5), clock::get);
        copy(ending);
        ending.finish();
        assertEquals(packets, ended.flushed, "every connection still waiting, at the stream's end");
        assertEquals(false, ended.closed);
        ending.close();
        assertEquals(true, ended.closed);

        Handed asked = new Handed();
        LiveKeysWriter flushing = new LiveKeysWriter(asked, Duration.ofSeconds(5), clock::get);
        copy(flushing);
        flushing.flush();
        assertEquals(4 * CALLS, asked.flushed, "each connection's handshake and ClientHello: the rest waits");
    }

    /** The stream's section header and interfaces go through as the merger gives them; other packets are not held. */
    @Test
    void theSectionInterfacesAndPacketsThatAreNotTcpGoThroughAsTheyAre() {
        Path out = dir.resolve("udp.pcapng");
        LiveKeysWriter writer = writingTo(out);
        writer.offer(KeyLog.read(recorded.keyLog()));
        writer.describeSection(new SectionInfo(List.of("captured by the test"), null, null));
        assertEquals(0, writer.addInterface(new CaptureInterface(LinkType.EN10MB, 65535, "eth0", null)));
        assertEquals(1, writer.addInterface(new CaptureInterface(LinkType.RAW, 65535, "lo", null)));
        byte[] udp = ByteBuffer.allocate(20 + 8 + 4).put((byte) 0x45).put((byte) 0).putShort((short) 32)
                .putShort((short) 1).putShort((short) 0).put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(new byte[] {(byte) 198, 18, 0, 1}).put(new byte[] {(byte) 198, 18, 0, 2})
                .putShort((short) 5353).putShort((short) 53).putShort((short) 12).putShort((short) 0)
                .put("ping".getBytes(StandardCharsets.US_ASCII)).array();
        writer.write(new CaptureRecord(1, clock.get(), udp.length, udp));
        writer.close();

        assertEquals(List.of(List.of("lo", "198.18.0.1", "5353", "53")),
                Tshark.fields(out, "udp", "frame.interface_name", "ip.src", "udp.srcport", "udp.dstport"));
        assertTrue(Tshark.run("capinfos", "-k", out.toString()).contains("captured by the test"),
                "the section's comment, as capinfos reads it");
        assertEquals(1, Tshark.count(out));
    }

    /** What the writer hands on: the blocks in order, how many of them were flushed, and whether it was closed. */
    private static final class Handed implements CaptureWriter {

        final List<CaptureBlock> blocks = new ArrayList<>();
        int flushed;
        boolean closed;

        @Override
        public void describeSection(SectionInfo section) {
        }

        @Override
        public int addInterface(CaptureInterface captureInterface) {
            return 0;
        }

        @Override
        public void write(CaptureBlock block) {
            blocks.add(block);
        }

        @Override
        public void flush() {
            flushed = blocks.size();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
