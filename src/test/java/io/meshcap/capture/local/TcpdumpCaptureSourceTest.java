package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.LoopbackTraffic;
import io.meshcap.testing.ScratchNamespace;
import io.meshcap.testing.Tshark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
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

    private static void awaitProc(String pid, String file, Predicate<String> condition, String failure)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.test(Files.readString(Path.of("/proc", pid, file)))) {
            assertTrue(System.nanoTime() < deadline, failure);
            Thread.sleep(5);
        }
    }

    /** Whether /proc/PID/status shows SIGTERM (15) pending for the thread or the process. */
    private static boolean sigtermPending(String status) {
        return status.lines().filter(l -> l.startsWith("SigPnd:") || l.startsWith("ShdPnd:"))
                .anyMatch(l -> (Long.parseUnsignedLong(l.substring(7).strip(), 16) & (1L << 14)) != 0);
    }

    /** A leg's sink that takes nothing until let go, as a reader that has fallen behind. */
    private static final class HeldBackSink extends OutputStream {

        private final CountDownLatch held = new CountDownLatch(1);
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        void letGo() {
            held.countDown();
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            bytes.write(data, offset, length);
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
     * tcpdump waiting to write into a full pipe must not get SIGTERM: the signal interrupts the write and glibc drops
     * the rest of the packet, so the leg would end in the middle of one (seen in CI under load). Here meshcap's reader
     * is held back until tcpdump blocks, the leg is stopped, and the reader is let go only once no SIGTERM is pending:
     * signalled at once, tcpdump has by then abandoned its write. (Before meshcap owned the pipe, the JDK also threw
     * away what was still in it when tcpdump exited: the leg kept only its file header.)
     */
    @Test
    void aLegStoppedWhileMeshcapIsBehindReadingItEndsOnAWholePacket() throws Exception {
        HeldBackSink sink = new HeldBackSink();
        LegCapture.LegOutcome outcome;
        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(netns())) {
            LegCapture leg = source.start(leg("lo"), sink);
            awaitListening(leg);
            String tcpdump = processesInTheNamespace().get(0);
            LoopbackTraffic.send(namespace, PORT, 1 << 20);
            awaitProc(tcpdump, "wchan", wchan -> wchan.contains("pipe_write"), "tcpdump never waited on a full pipe");
            leg.stop();
            awaitProc(tcpdump, "status", status -> !sigtermPending(status), "SIGTERM stayed pending");
            sink.letGo();
            outcome = leg.await(Duration.ofSeconds(60));
        }

        assertEquals(new LegCapture.LegOutcome(0, 0, ""), outcome);
        Path file = Files.write(dir.resolve("lo.pcap"), sink.bytes.toByteArray());
        assertEquals(List.of(List.of("127.0.0.1", "8080")), Tshark.fields(file,
                "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.dst", "tcp.dstport"),
                "the call's SYN, read by tshark from a file that ends on a whole packet");
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
