package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.meshcap.format.ReadBack;
import io.meshcap.output.OutputTarget;
import io.meshcap.reassoc.Packets;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.RedirectPortsByInterface;
import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import io.meshcap.testing.LiveViewer;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture streamed live ({@code --live PIPE}) in this JVM: a named pipe that a viewer thread copies to a file, legs
 * that replay a real tcpdump recording, and tshark and the pcapng reader judging what the viewer got. The complete
 * file is written as without a stream.
 */
@Timeout(120)
class CaptureSessionLiveTest {

    private static final String KEY_LINES = "CLIENT_TRAFFIC_SECRET_0 " + "a".repeat(64) + " " + "01".repeat(32) + "\n"
            + "SERVER_TRAFFIC_SECRET_0 " + "a".repeat(64) + " " + "02".repeat(32) + "\n";

    @TempDir
    Path dir;

    private byte[] recording;
    private final StringWriter err = new StringWriter();
    private LiveViewer viewer;

    @BeforeEach
    void readRecording() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/k8s/lo-small.pcap")) {
            recording = in.readAllBytes();
        }
    }

    /** A named pipe with a viewer that copies what comes through it to a file. */
    private OutputTarget pipe() {
        viewer = LiveViewer.start(dir);
        return OutputTarget.of(viewer.pipe().toString());
    }

    private static LegPlan leg(String iface, String preset, Map<String, String> metadata) {
        return new LegPlan("shop/reviews-v1", iface, preset, "tcp", false, CaptureLimits.none(), metadata);
    }

    private CaptureSession.Result capture(CaptureSession session, List<LegPlan> legs, Path output,
            RedirectPortsByInterface redirect) throws InterruptedException {
        try (StopSignal stop = StopSignal.manual()) {
            CaptureSession.Result result = session.run(legs, OutputTarget.of(output.toString()), null, false, redirect,
                    stop, null);
            viewer.await(Duration.ofSeconds(120)); // the class's own timeout
            return result;
        }
    }

    /** Packets per interface, with each interface's description, as tshark reads them. */
    private static Map<String, Integer> perInterface(Path file) {
        Map<String, Integer> counts = new TreeMap<>();
        for (List<String> row : Tshark.fields(file, null, "frame.interface_name", "frame.interface_description")) {
            counts.merge(row.get(0) + " (" + row.get(1) + ")", 1, Integer::sum);
        }
        return counts;
    }

    /** A viewer's reader that takes the stream block by block as it comes, as Wireshark does. */
    private static final class BlockReading {
        final List<CaptureBlock> seen = new CopyOnWriteArrayList<>();
        final CountDownLatch packetSeen = new CountDownLatch(1);
        final CountDownLatch keysSeen = new CountDownLatch(1);

        void read(Path pipe) throws IOException {
            try (CaptureReader stream = CaptureFormats.open("live", FileChannel.open(pipe, StandardOpenOption.READ),
                    1 << 16)) {
                for (CaptureBlock block = stream.nextBlock(); block != null; block = stream.nextBlock()) {
                    seen.add(block);
                    if (block instanceof CaptureRecord) {
                        packetSeen.countDown();
                    }
                    if (block instanceof DecryptionSecrets) {
                        keysSeen.countDown();
                    }
                }
            }
        }

        /** Waits until a packet has been read (bounded: a stream without one fails on its assertions). */
        void awaitPacket() {
            try {
                packetSeen.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The kinds of block read, each once, in the order they first came. */
        List<String> kinds() {
            return seen.stream().map(block -> block.getClass().getSimpleName()).distinct().toList();
        }
    }

    @Test
    void theStreamCarriesEveryLegAndTheCompleteFileIsWrittenAsWithoutIt() throws Exception {
        Path output = dir.resolve("complete.pcapng");
        OutputTarget live = pipe();
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording), new PrintWriter(err, true), false)
                .streamingTo(LiveStream.to(live, Duration.ofMillis(50), null, new PrintWriter(err, true)));

        CaptureSession.Result result = capture(session, List.of(leg("eth0", "inbound-mtls", Map.of("node", "worker-2")),
                leg("lo", "inbound-plain", Map.of("container", "istio-proxy"))), output, null);

        Map<String, Integer> expected = Map.of("reviews-v1/eth0:inbound-mtls (node=worker-2)", 20,
                "reviews-v1/lo:inbound-plain (container=istio-proxy)", 20);
        assertEquals(expected, perInterface(viewer.file()), "the stream, as tshark reads it");
        assertEquals(expected, perInterface(output), "the complete file");
        assertTrue(Tshark.run(List.of("capinfos", "-t", viewer.file().toString())).contains("pcapng"));
        assertEquals(40, result.live().packets());
        assertEquals(0, result.live().late());
        assertEquals(0, result.live().leftOut());
        assertNull(result.live().readerGone());
        assertNull(result.live().keys(), "no key logs: no keys in the stream");
        assertNull(result.live().reassoc());
        String said = err.toString();
        assertTrue(said.endsWith("meshcap: wrote " + output + " (40 packets from 2 legs); open it with: wireshark "
                + output + "\nmeshcap: streamed 40 packets live\n"), said);
        try (var left = Files.list(dir)) {
            assertEquals(List.of("complete.pcapng", "live", "streamed.pcapng"),
                    left.map(p -> p.getFileName().toString()).sorted().toList(), "the legs' spool is removed");
        }
    }

    @Test
    void keyLogsGoIntoTheStreamAheadOfThePacketsAndReAssociationRunsInIt() throws Exception {
        Path keyLog = Files.writeString(dir.resolve("keys.log"), KEY_LINES);
        Path output = dir.resolve("complete.pcapng");
        OutputTarget live = pipe();
        RedirectPortsByInterface redirect = RedirectPortsByInterface.everywhere(RedirectPorts.istioDefaults());
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording), new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(keyLog))
                .streamingTo(LiveStream.to(live, Duration.ofMillis(50), redirect, new PrintWriter(err, true)));

        CaptureSession.Result result = capture(session, List.of(leg("lo", "inbound-plain", Map.of())), output,
                redirect);

        List<CaptureBlock> blocks = ReadBack.blocks(viewer.file());
        List<DecryptionSecrets> secrets = blocks.stream().filter(DecryptionSecrets.class::isInstance)
                .map(DecryptionSecrets.class::cast).toList();
        assertEquals(1, secrets.size(), "each key line once: " + blocks);
        assertEquals(KEY_LINES, new String(secrets.get(0).secrets(), StandardCharsets.US_ASCII));
        assertTrue(blocks.indexOf(secrets.get(0)) < blocks.indexOf(blocks.stream()
                .filter(CaptureRecord.class::isInstance).findFirst().orElseThrow()), "the keys come before the packets");
        assertEquals(20, Tshark.count(viewer.file()));
        // The recording's calls go to port 18080, none to Istio's 15001 or 15006.
        assertEquals("no connection to a REDIRECT port was captured, so nothing needed re-associating",
                result.live().reassoc().describe());
        assertEquals(2, result.live().keys().keyLines());
        assertEquals(0, result.live().keys().connectionsHeld());
        assertTrue(err.toString().contains("meshcap: " + output + " holds 2 TLS key log lines: anyone who has it can"
                + " read the encrypted connections in it, so it is readable by its owner only (mode 0600); to share a"
                + " capture, make a copy without keys: meshcap merge --strip-secrets FILE -o shared.pcapng\n"),
                err.toString());
        assertEquals(List.of(KEY_LINES), ReadBack.blocks(output).stream().filter(DecryptionSecrets.class::isInstance)
                .map(block -> new String(((DecryptionSecrets) block).secrets(), StandardCharsets.US_ASCII)).toList(),
                "the complete file holds the keys too");
        assertTrue(err.toString().endsWith("meshcap: streamed 20 packets live\nmeshcap: the live stream carried 2 TLS"
                + " key log lines, each before the packets that need it: anyone who has the stream can read the"
                + " encrypted connections in it\n"), err.toString());
    }

    /**
     * A key log that holds its lines when the stream starts, whose first poll comes only after the stream's first
     * packet reached its reader (once failed 1 in 6 runs of the test above, when the poll's thread started late).
     */
    @Test
    void keysLoggedBeforeTheStreamStartsGoAheadOfItsFirstPacketHoweverLateTheirPollComes() throws Exception {
        Path keyLog = Files.writeString(dir.resolve("keys.log"), KEY_LINES);
        BlockReading reading = new BlockReading();
        viewer = LiveViewer.start(dir, reading::read);
        ThreadFactory pollAfterTheFirstPacket = poll -> new Thread(() -> {
            reading.awaitPacket();
            poll.run();
        }, "test-late-key-poll");
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording), new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(keyLog))
                .streamingTo(LiveStream.to(OutputTarget.of(viewer.pipe().toString()), Duration.ofMillis(50), null,
                        new PrintWriter(err, true)).pollingKeysOn(pollAfterTheFirstPacket));

        CaptureSession.Result result = capture(session, List.of(leg("lo", "inbound-plain", Map.of())),
                dir.resolve("complete.pcapng"), null);

        assertEquals(List.of("DecryptionSecrets", "CaptureRecord"), reading.kinds(), "the keys, then the packets");
        assertEquals(KEY_LINES, new String(((DecryptionSecrets) reading.seen.get(0)).secrets(),
                StandardCharsets.US_ASCII));
        assertEquals(21, reading.seen.size(), "one block of keys and the recording's 20 packets");
        assertEquals(2, result.live().keys().keyLines());
    }

    @Test
    void keysLoggedAsTheCaptureEndsAreReadOnceMoreAtItsEndAndStreamedLast() throws Exception {
        Path keyLog = Files.writeString(dir.resolve("keys.log"), "");
        BlockReading viewing = new BlockReading();
        viewer = LiveViewer.start(dir, viewing::read);
        // No poll while the capture runs: the key log is read when the stream starts and when it ends, no more.
        ThreadFactory noPoll = poll -> new Thread(() -> { }, "test-no-key-poll");
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording).runningUntilStopped(),
                new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(keyLog))
                .streamingTo(LiveStream.to(OutputTarget.of(viewer.pipe().toString()), Duration.ofMillis(50), null,
                        new PrintWriter(err, true)).pollingKeysOn(noPoll));
        // The keys are logged once the stream has packets (long after its first read), and the capture then ends.
        Runnable logKeysOnceStreaming = () -> {
            viewing.awaitPacket();
            try {
                Files.writeString(keyLog, KEY_LINES, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };

        CaptureSession.Result result;
        try (StopSignal stop = StopSignal.manual()) {
            result = session.run(List.of(leg("lo", "inbound-plain", Map.of())),
                    OutputTarget.of(dir.resolve("complete.pcapng").toString()), null, false, null, stop,
                    logKeysOnceStreaming);
            viewer.await(Duration.ofSeconds(120));
        }

        assertEquals(List.of("CaptureRecord", "DecryptionSecrets"), viewing.kinds(), "the packets, then the keys");
        assertEquals(21, viewing.seen.size(), "the recording's 20 packets and one block of keys");
        assertEquals(2, result.live().keys().keyLines());
    }

    /**
     * Keys logged while the capture runs reach the viewer while it still runs, read by the stream's own key polling
     * thread: the capture is ended only once the viewer has them (or after a minute without), so neither the read at
     * the stream's start (the key log is empty then) nor the one at its end can bring them in time.
     */
    @Test
    void keysLoggedWhileTheCaptureRunsReachTheViewerBeforeItEnds() throws Exception {
        Path keyLog = Files.writeString(dir.resolve("keys.log"), "");
        BlockReading viewing = new BlockReading();
        viewer = LiveViewer.start(dir, viewing::read);
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording).runningUntilStopped(),
                new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(keyLog))
                .streamingTo(LiveStream.to(OutputTarget.of(viewer.pipe().toString()), Duration.ofMillis(50), null,
                        new PrintWriter(err, true)));
        CountDownLatch keysWhileRunning = new CountDownLatch(1);
        Runnable logKeysAndAwaitThem = () -> {
            viewing.awaitPacket();
            try {
                Files.writeString(keyLog, KEY_LINES, StandardOpenOption.APPEND);
                if (viewing.keysSeen.await(60, TimeUnit.SECONDS)) {
                    keysWhileRunning.countDown();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };

        CaptureSession.Result result;
        try (StopSignal stop = StopSignal.manual()) {
            result = session.run(List.of(leg("lo", "inbound-plain", Map.of())),
                    OutputTarget.of(dir.resolve("complete.pcapng").toString()), null, false, null, stop,
                    logKeysAndAwaitThem);
            viewer.await(Duration.ofSeconds(120));
        }

        assertEquals(0, keysWhileRunning.getCount(), "the viewer had the keys while the capture ran");
        assertEquals(List.of("CaptureRecord", "DecryptionSecrets"), viewing.kinds(), "the packets, then the keys");
        assertEquals(21, viewing.seen.size(), "the recording's 20 packets and one block of keys");
        assertEquals(2, result.live().keys().keyLines());
    }

    /**
     * A stream that fails for a reason of its own (here a key feed that throws: a bug, since a feed says its own
     * problems and returns nothing) stops a capture that nothing else would stop, which then keeps its legs and
     * raises the failure.
     */
    @Test
    void aStreamThatFailsStopsTheCaptureWhichKeepsItsLegsAndRaisesTheFailure() throws Exception {
        ReplayingSource legs = ReplayingSource.of(recording).runningUntilStopped();
        CaptureSource source = new CaptureSource() {
            @Override
            public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
                return legs.start(leg, sink);
            }

            @Override
            public List<KeyFeed> keyFeeds() {
                return List.of(new KeyFeed() {
                    @Override
                    public KeyLog readNew() {
                        throw new IllegalStateException("the key feed broke");
                    }

                    @Override
                    public Duration period() {
                        return Duration.ofSeconds(1);
                    }
                });
            }

            @Override
            public void close() {
            }
        };
        CaptureSession session = new CaptureSession(source, new PrintWriter(err, true), false)
                .streamingTo(LiveStream.to(pipe(), Duration.ofMillis(50), null, new PrintWriter(err, true)));

        IllegalStateException failure;
        try (StopSignal stop = StopSignal.manual()) {
            failure = assertThrows(IllegalStateException.class, () -> session.run(List.of(leg("lo", "inbound-plain",
                    Map.of())), OutputTarget.of(dir.resolve("complete.pcapng").toString()), null, false, null, stop,
                    null));
        }

        assertEquals("the key feed broke", failure.getMessage());
        assertTrue(err.toString().contains("meshcap: the legs captured so far are kept in "), err.toString());
    }

    @Test
    void aViewerThatGoesAwayStopsTheCaptureWhoseFileKeepsEveryPacket() throws Exception {
        CountDownLatch viewerGone = new CountDownLatch(1);
        // Wireshark closed after the stream's first bytes: the packets that come next find no reader.
        viewer = LiveViewer.start(dir, pipe -> {
            try (FileChannel stream = FileChannel.open(pipe, StandardOpenOption.READ)) {
                stream.read(ByteBuffer.allocate(4));
            } finally {
                viewerGone.countDown();
            }
        });
        Path pipe = viewer.pipe();
        Path output = dir.resolve("complete.pcapng");
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording).runningUntilStopped()
                .packetsAfter(viewerGone), new PrintWriter(err, true), false)
                .streamingTo(LiveStream.to(OutputTarget.of(pipe.toString()), Duration.ofMillis(50), null,
                        new PrintWriter(err, true)));

        // Nothing else stops this capture: no duration, no Ctrl-C, legs that run until they are stopped.
        CaptureSession.Result result = capture(session, List.of(leg("lo", "inbound-plain", Map.of())), output, null);

        String why = result.live().readerGone();
        assertTrue(why != null && why.startsWith(pipe.toString()), "why the stream ended: " + why);
        assertTrue(err.toString().contains("meshcap: the live stream's reader went away (" + why + "); stopping the"
                + " capture\n"), err.toString());
        assertEquals(20, Tshark.count(output), "the capture's file holds every packet the leg captured");
    }

    @Test
    void aViewerThatGoesAwayOnceItHasEveryPacketStopsTheQuietCapture() throws Exception {
        // Wireshark closed once it has shown the leg's 20 packets; nothing more is captured, so no write can fail.
        viewer = LiveViewer.start(dir, pipe -> {
            try (CaptureReader stream = CaptureFormats.open("live", FileChannel.open(pipe, StandardOpenOption.READ),
                    1 << 16)) {
                int packets = 0;
                for (CaptureBlock block = stream.nextBlock(); block != null; block = stream.nextBlock()) {
                    if (block instanceof CaptureRecord && ++packets == 20) {
                        return;
                    }
                }
            }
        });
        Path pipe = viewer.pipe();
        Path output = dir.resolve("complete.pcapng");
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording).runningUntilStopped(),
                new PrintWriter(err, true), false)
                .streamingTo(LiveStream.to(OutputTarget.of(pipe.toString()), Duration.ofMillis(50), null,
                        new PrintWriter(err, true)));

        CaptureSession.Result result = capture(session, List.of(leg("lo", "inbound-plain", Map.of())), output, null);

        assertEquals(pipe + ": the reading program exited", result.live().readerGone());
        assertEquals(20, Tshark.count(output));
    }

    @Test
    void aPacketReAssociationStillHoldsWhenTheStreamEndsIsWrittenAtItsEnd() throws Exception {
        // A SYN to Istio's outbound capture port whose reply is never captured: held for 500 ms of capture time.
        Path syn = dir.resolve("syn.pcap");
        try (CaptureWriter writer = CaptureFormats.create(syn, OutputFormat.PCAP, null)) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 65535, null, null));
            byte[] frame = Packets.link(LinkType.EN10MB, Packets.ip(Packets.ep("198.18.0.2", 40000),
                    Packets.ep("127.0.0.1", 15001), Packets.SYN, 1, 0));
            writer.write(new CaptureRecord(0, System.currentTimeMillis() * 1_000_000L, frame.length, frame));
        }
        OutputTarget live = pipe();
        RedirectPortsByInterface redirect = RedirectPortsByInterface.everywhere(RedirectPorts.istioDefaults());
        CaptureSession session = new CaptureSession(ReplayingSource.of(Files.readAllBytes(syn)),
                new PrintWriter(err, true), false)
                .streamingTo(LiveStream.to(live, Duration.ofMillis(50), redirect, new PrintWriter(err, true)))
                .timedBy(CaptureEngine.Timing.DEFAULT.pausingBetweenQuietPolls(() -> { }));

        // A workload that is done at once ends the capture as soon as it has begun, well within those 500 ms.
        CaptureSession.Result result;
        try (StopSignal stop = StopSignal.manual()) {
            result = session.run(List.of(leg("lo", "outbound", Map.of())),
                    OutputTarget.of(dir.resolve("complete.pcapng").toString()), null, false, redirect, stop, () -> { });
            viewer.await(Duration.ofSeconds(120));
        }

        // Written by the re-associator's end ("before the capture ended"); "within 500 ms" only if this machine
        // stalled the capture's end for longer than that.
        List<List<String>> comments = Tshark.fields(viewer.file(), null, "frame.comment");
        assertEquals(1, comments.size(), "the stream's one packet, as tshark reads it: " + comments);
        assertTrue(comments.get(0).get(0).matches("meshcap: destination 127\\.0\\.0\\.1:15001 left unchanged: the"
                + " original destination is unknown \\(no reply of this connection was captured (before the capture"
                + " ended|within 500 ms)\\)"), comments.toString());
        assertEquals(1, result.live().packets());
    }

    @Test
    void aLegWhoseCapturerNeverWroteIsSaidByTheStreamWhichCarriesTheOthers() throws Exception {
        OutputTarget live = pipe();
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording).silentOn("eth0"),
                new PrintWriter(err, true), false)
                .streamingTo(LiveStream.to(live, Duration.ofMillis(50), null, new PrintWriter(err, true)));

        CaptureSession.Result result = capture(session, List.of(leg("eth0", "inbound-mtls", Map.of()),
                leg("lo", "inbound-plain", Map.of())), dir.resolve("complete.pcapng"), null);

        assertEquals(Map.of("reviews-v1/lo:inbound-plain ()", 20), perInterface(viewer.file()));
        assertEquals(20, result.live().packets());
        assertTrue(err.toString().contains("\nmeshcap: warning: reviews-v1/eth0:inbound-mtls: ")
                && err.toString().contains(": offset 0: empty file, not a capture\n"), err.toString());
    }

    @Test
    void oneKeyLineIsSaidInTheSingular() throws Exception {
        Path keyLog = Files.writeString(dir.resolve("keys.log"), KEY_LINES.lines().findFirst().orElseThrow() + "\n");
        OutputTarget live = pipe();
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording), new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(keyLog))
                .streamingTo(LiveStream.to(live, Duration.ofMillis(50), null, new PrintWriter(err, true)));

        capture(session, List.of(leg("lo", "inbound-plain", Map.of())), dir.resolve("complete.pcapng"), null);

        assertTrue(err.toString().endsWith("meshcap: the live stream carried 1 TLS key log line, each before the packets"
                + " that need it: anyone who has the stream can read the encrypted connections in it\n"), err.toString());
    }

    @Test
    void aKeyLogThatStaysEmptyPutsNoKeysInTheStreamAndSaysNothingOfThem() throws Exception {
        Path keyLog = Files.writeString(dir.resolve("keys.log"), "");
        OutputTarget live = pipe();
        CaptureSession session = new CaptureSession(ReplayingSource.of(recording), new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(keyLog))
                .streamingTo(LiveStream.to(live, Duration.ofMillis(50), null, new PrintWriter(err, true)));

        CaptureSession.Result result = capture(session, List.of(leg("lo", "inbound-plain", Map.of())),
                dir.resolve("complete.pcapng"), null);

        assertEquals(0, result.live().keys().keyLines());
        assertTrue(err.toString().endsWith("meshcap: streamed 20 packets live\n"), err.toString());
    }
}
