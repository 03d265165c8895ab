package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.LoopbackTraffic;
import io.meshcap.testing.ScratchNamespace;
import io.meshcap.testing.Tshark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Legs run by the real tcpdump in a network namespace of the test's own, in this JVM: what a leg captures is judged
 * by tshark, what is left running by the namespace's own process list ({@code ip netns pids}).
 */
@Timeout(120)
class TcpdumpCaptureSourceTest {

    private static final int PORT = 8080;
    private static final int DATAGRAM_PORT = 9999;
    private static final int FILE_HEADER = 24;
    private static final int PAGE = 4096;
    /** A datagram whose record is one page: a 16-byte record header and 14 + 20 + 8 bytes of headers before it. */
    private static final int PAGE_PAYLOAD = PAGE - 16 - 14 - 20 - 8;
    private static ScratchNamespace namespace;

    @TempDir
    Path dir;

    @BeforeAll
    static void createNamespace() {
        namespace = ScratchNamespace.create("meshcap-tcpdump", 65536);
    }

    @AfterAll
    static void deleteNamespace() {
        namespace.close();
    }

    private static NetworkNamespace netns() {
        return NetworkNamespace.named(namespace.name());
    }

    private static LegPlan leg(String iface) {
        return new LegPlan("netns " + namespace.name(), iface, "inbound-plain", "tcp port " + PORT, false,
                CaptureLimits.none(), Map.of());
    }

    /** The processes running in the test's namespace: the legs' tcpdumps, nothing else. */
    private static List<String> processesInTheNamespace() {
        return Tshark.run(List.of("ip", "netns", "pids", namespace.name())).lines().filter(l -> !l.isBlank()).toList();
    }

    /** Whether the process sleeps in a write to a full pipe (its wait channel, /proc/PID/wchan). */
    private static boolean waitsOnAFullPipe(String pid) throws IOException {
        try {
            return Files.readString(Path.of("/proc", pid, "wchan")).contains("pipe_write");
        } catch (NoSuchFileException exited) {
            return false;
        }
    }

    /** The bytes the process has handed to write(2) so far, as its kernel counts them (/proc/PID/io). */
    private static long bytesWritten(String pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", pid, "io")).stream().filter(l -> l.startsWith("wchar:"))
                .mapToLong(l -> Long.parseLong(l.substring(6).strip())).findFirst().orElseThrow();
    }

    /**
     * Whether a leg's stop is waiting for the pipe to be read dry: a thread parked in the drain loop itself (the stop's
     * wait for tcpdump's counts parks too, one call deeper).
     */
    private static boolean aStopWaitsForTheReader() {
        return Thread.getAllStackTraces().values().stream().anyMatch(stack -> {
            for (int i = 0; i + 1 < stack.length; i++) {
                if (stack[i].getMethodName().equals("parkNanos")) {
                    return stack[i + 1].getMethodName().equals("signalOnceDrained");
                }
            }
            return false;
        });
    }

    /**
     * Waits until the namespace's one process is tcpdump listening, by its own words in its messages
     * ({@code /proc/PID/fd/2}), without asking the leg: a leg meshcap has not yet seen listening.
     */
    private static String awaitTcpdumpListeningUnasked() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<String> pids = processesInTheNamespace();
            if (pids.size() == 1 && Files.readString(Path.of("/proc", pids.get(0), "fd", "2")).contains(
                    "listening on")) {
                return pids.get(0);
            }
            assertTrue(System.nanoTime() < deadline, "tcpdump did not listen within 60 s");
            Thread.sleep(5);
        }
    }

    /** Sends datagram "p{n}" to 127.0.0.1:DATAGRAM_PORT over the namespace's lo, padded to PAGE_PAYLOAD bytes. */
    private static void sendDatagram(NamespaceThread inside, int n) throws Exception {
        inside.call(() -> {
            try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                byte[] payload = Arrays.copyOf(("p" + n + ".").getBytes(StandardCharsets.US_ASCII), PAGE_PAYLOAD);
                socket.send(new DatagramPacket(payload, payload.length, socket.getLocalAddress(), DATAGRAM_PORT));
            }
            return null;
        });
    }

    /** Each datagram's name ("p1", ...), in file order, as tshark reads its payload. */
    private static List<String> datagrams(Path file) {
        return Tshark.fields(file, "", "data.data").stream().map(row -> {
            String hex = row.get(0);
            StringBuilder name = new StringBuilder();
            for (int i = 0; i + 1 < hex.length() && !hex.startsWith("2e", i); i += 2) {
                name.append((char) Integer.parseInt(hex.substring(i, i + 2), 16));
            }
            return name.toString();
        }).toList();
    }

    /** A leg's sink that takes nothing until let go, as a reader that has fallen behind. */
    private static final class HeldBackSink extends OutputStream {

        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch offered = new CountDownLatch(1);
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile int firstOffer = -1;

        void letGo() {
            held.countDown();
        }

        /** The length of the first write offered, once one has been. */
        int awaitFirstOffer() throws InterruptedException {
            assertTrue(offered.await(60, TimeUnit.SECONDS), "nothing reached the sink");
            return firstOffer;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            if (firstOffer < 0) {
                firstOffer = length;
                offered.countDown();
            }
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            bytes.write(data, offset, length);
        }
    }

    /** This JVM's descriptors that lead to {@code target} ({@code pipe:[INODE]}, say), by their links. */
    private static List<String> descriptorsTo(String target) throws IOException {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(target);
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            }).map(Path::toString).toList();
        }
    }

    /**
     * The memory files holding tcpdump's messages that this JVM still has open, by their descriptors' links
     * ({@code /memfd:NAME (deleted)}): each leg's is to be released when the leg is done with.
     */
    private static long stderrFilesOpen() throws IOException {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    return "";
                }
            }).filter(link -> link.startsWith("/memfd:meshcap-tcpdump-stderr")).count();
        }
    }

    private static void awaitListening(LegCapture leg) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!leg.listening()) {
            assertTrue(System.nanoTime() < deadline, "tcpdump did not listen within 60 s");
            Thread.sleep(20);
        }
    }

    @Test
    void theCommandEntersTheNamespaceDiesWithMeshcapAndKeepsTcpdumpRoot() {
        assertEquals(List.of("setpriv", "--pdeathsig", "KILL", "--", "nsenter", "--net=/run/netns/" + namespace.name(),
                "--", "tcpdump", "-Z", "root", "--immediate-mode", "-U", "-n", "-B", "8192", "-w", "-", "-i", "lo", "-s",
                "262144", "tcp port 8080"), TcpdumpCaptureSource.command(netns(), leg("lo")));
    }

    @Test
    void aLegCapturesItsNamespacesTrafficUntilStoppedAndEndsCleanly() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        LegCapture.LegOutcome outcome;
        long stderrFiles = stderrFilesOpen();
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            LegCapture leg = source.start(leg("lo"), sink);
            assertEquals(stderrFiles + 1, stderrFilesOpen(), "the leg's messages, read through one descriptor");
            awaitListening(leg);
            String stdin = Files.readSymbolicLink(Path.of("/proc", processesInTheNamespace().get(0), "fd", "0"))
                    .toString();
            assertEquals(List.of(), descriptorsTo(stdin), "meshcap keeps no end of tcpdump's stdin (" + stdin + ")");
            LoopbackTraffic.send(namespace, PORT, 256 << 10);
            leg.stop();
            outcome = leg.await(Duration.ofSeconds(60));
            assertEquals(stderrFiles, stderrFilesOpen(), "the leg's messages released once it has ended");
        }

        assertNotNull(outcome, "tcpdump ends on SIGTERM");
        assertEquals(new LegCapture.LegOutcome(0, 0, ""), outcome);
        Path file = Files.write(dir.resolve("lo.pcap"), sink.toByteArray());
        assertEquals(List.of(List.of("127.0.0.1", "8080")), Tshark.fields(file,
                "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.dst", "tcp.dstport"), "the call's SYN, once");
        assertEquals(Tshark.count(file), Tshark.fields(file, "tcp.port == 8080", "frame.number").size(),
                "only what the filter lets through");
        assertEquals(List.of(), processesInTheNamespace());
    }

    /**
     * tcpdump waiting to write into a full pipe must not get SIGTERM: its handler has no SA_RESTART, so a write that
     * has put nothing in yet fails with EINTR and glibc drops what it was writing (a whole packet here; part of one
     * when a packet takes several writes, as a large one does). tcpdump (-U) writes each packet with one write of its
     * record; datagrams whose records are exactly a page long make every write fill one page of the pipe, so once the
     * pipe is full a waiting write has put in nothing. The reader is held back after the file header, datagrams are
     * sent one at a time until tcpdump waits on the full pipe, and the leg is stopped; the reader is let go once
     * the stop waits for it, or once tcpdump has taken a SIGTERM sent at once (its write then abandoned). The file
     * must hold every datagram sent, whole. The leg is stopped before meshcap has asked it whether tcpdump listens
     * (as a Ctrl-C during set-up may): a stop then has none of tcpdump's counts to wait for, which a blocked tcpdump
     * could not give anyway, and the drain alone keeps the waiting write. (Before meshcap owned the pipe, the JDK
     * also threw away what was still in it when tcpdump exited: the leg kept only its file header.)
     */
    @Test
    void aLegStoppedWhileMeshcapIsBehindReadingKeepsEveryPacketWhole() throws Exception {
        HeldBackSink sink = new HeldBackSink();
        LegCapture.LegOutcome outcome;
        List<String> sent = new ArrayList<>();
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns());
                NamespaceThread inside = NamespaceThread.enter(netns())) {
            LegCapture leg = source.start(new LegPlan("netns " + namespace.name(), "lo", "inbound-plain",
                    "udp dst port " + DATAGRAM_PORT, false, CaptureLimits.none(), Map.of()), sink);
            String tcpdump = awaitTcpdumpListeningUnasked();
            assertEquals(FILE_HEADER, sink.awaitFirstOffer(), "the file header, read alone: the pipe is empty");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!waitsOnAFullPipe(tcpdump)) {
                assertTrue(sent.size() < 1024, "tcpdump never waited on a full pipe");
                long written = bytesWritten(tcpdump);
                sendDatagram(inside, sent.size() + 1);
                sent.add("p" + (sent.size() + 1));
                while (bytesWritten(tcpdump) < written + PAGE && !waitsOnAFullPipe(tcpdump)) {
                    assertTrue(System.nanoTime() < deadline, "tcpdump neither wrote " + sent.get(sent.size() - 1) + " nor waited");
                    Thread.sleep(2);
                }
            }
            leg.stop();
            while (waitsOnAFullPipe(tcpdump) && !aStopWaitsForTheReader()) {
                assertTrue(System.nanoTime() < deadline, "the stop neither waited for the reader nor signalled");
                Thread.sleep(2);
            }
            sink.letGo();
            outcome = leg.await(Duration.ofSeconds(60));
        }

        assertEquals(new LegCapture.LegOutcome(0, 0, ""), outcome);
        Path file = Files.write(dir.resolve("lo.pcap"), sink.bytes.toByteArray());
        assertEquals(sent, datagrams(file), "every datagram sent, in the order sent, read by tshark");
        assertEquals(sent.size(), Tshark.capinfosCount(file), "capinfos reads as many whole packets");
        assertTrue(sent.size() > 1, "the pipe held at least one datagram before tcpdump waited");
        assertEquals(List.of(), processesInTheNamespace());
    }

    @Test
    void aLegWhoseCaptureCannotBeKeptFailsSayingWhy() throws Exception {
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        LegCapture.LegOutcome outcome;
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            LegCapture leg = source.start(leg("lo"), full);
            awaitListening(leg);
            leg.stop();
            outcome = leg.await(Duration.ofSeconds(60));
        }

        assertEquals(new LegCapture.LegOutcome(1, 0, "tcpdump's capture could not be kept: No space left on device"),
                outcome);
    }

    @Test
    void aLegOnAnInterfaceTheNamespaceLacksSaysWhatTcpdumpSaid() throws Exception {
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            LegCapture leg = source.start(leg("eth9"), new ByteArrayOutputStream());
            MeshcapException failure = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (failure == null) {
                try {
                    assertTrue(!leg.listening() && System.nanoTime() < deadline, "tcpdump neither failed nor listened");
                    Thread.sleep(20);
                } catch (MeshcapException e) {
                    failure = e;
                }
            }
            assertTrue(failure.getMessage().startsWith("leg netns " + namespace.name() + "/eth9:inbound-plain: tcpdump did not"
                    + " start: tcpdump: eth9: No such device exists"), failure.getMessage());
            LegCapture.LegOutcome outcome = leg.await(Duration.ofSeconds(60));
            assertEquals(1, outcome.exitCode());
            assertEquals(-1, outcome.packetsDropped(), "tcpdump never counted");
            assertTrue(outcome.message().startsWith("tcpdump: eth9: No such device exists"), outcome.message());
        }
    }

    @Test
    void closingStopsEveryLegStillRunning() throws Exception {
        LegCapture first;
        LegCapture second;
        long stderrFiles = stderrFilesOpen();
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            first = source.start(leg("lo"), new ByteArrayOutputStream());
            second = source.start(leg("lo"), new ByteArrayOutputStream());
            awaitListening(first);
            awaitListening(second);
            assertEquals(2, processesInTheNamespace().size());
        }

        assertEquals(List.of(), processesInTheNamespace());
        assertEquals(stderrFiles, stderrFilesOpen(), "each leg's messages released by closing the source");
        assertEquals(0, first.await(Duration.ZERO).exitCode(), "stopped as by a Ctrl-C, not killed");
        assertEquals(0, second.await(Duration.ZERO).exitCode());
    }

    /**
     * Until tcpdump has put its handler in place, SIGUSR1 ends it (and setpriv and nsenter before it): a leg asked for
     * its drops from the moment it starts must not be asked tcpdump's figure until it listens.
     */
    @Test
    void askingForDropsWhileTcpdumpStartsLeavesItRunning() throws Exception {
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            LegCapture leg = source.start(leg("lo"), new ByteArrayOutputStream());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            do {
                assertEquals(OptionalLong.empty(), leg.droppedSoFar(), "no figure before tcpdump listens");
                assertTrue(System.nanoTime() < deadline, "tcpdump did not listen within 60 s");
            } while (!leg.listening());
            leg.stop();
            assertEquals(new LegCapture.LegOutcome(0, 0, ""), leg.await(Duration.ofSeconds(60)),
                    "stopped by meshcap, not ended by a signal it could not take");
        }
    }

    @Test
    void whileItRunsALegReportsDropsOnlyOnceTcpdumpListens() throws Exception {
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            LegCapture leg = source.start(leg("lo"), new ByteArrayOutputStream());
            awaitListening(leg);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (leg.droppedSoFar().isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "tcpdump never answered SIGUSR1");
                Thread.sleep(20);
            }
            assertEquals(0, leg.droppedSoFar().getAsLong());
            leg.stop();
            assertEquals(0, leg.await(Duration.ofSeconds(60)).exitCode(), "SIGUSR1 did not end it");
        }
    }
}
