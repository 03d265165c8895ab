package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.ScratchNamespace;
import io.meshcap.testing.Tshark;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tcpdump that a loaded machine has not let run since packets reached it still has them to write when the capture
 * stops: meshcap's stop must not end it before it has (DemoCommandTest once found one call of three missing from a
 * leg, under load, while every call had been made). The test holds tcpdump stopped (SIGSTOP) while the packets arrive
 * and while meshcap asks it to end, then lets it run: what it writes is judged by tshark.
 */
@Timeout(120)
class TcpdumpBehindAtStopTest {

    private static final int PORT = 9999;
    private static final int PACKETS = 20;
    private static final long WAIT_NANOS = Duration.ofSeconds(60).toNanos();
    /** SIGUSR1 (10) in /proc/PID/status's masks of pending signals. */
    private static final long SIGUSR1_PENDING = 1L << 9;

    @TempDir
    Path dir;

    @Test
    void packetsQueuedForATcpdumpThatHasNotRunAreWrittenBeforeItIsStopped() throws Exception {
        try (ScratchNamespace namespace = ScratchNamespace.create("meshcap-behind", 65536)) {
            TcpdumpCaptureSource source = new TcpdumpCaptureSource(NetworkNamespace.named(namespace.name()));
            Path file = dir.resolve("leg.pcap");
            try (OutputStream sink = Files.newOutputStream(file)) {
                LegCapture leg = source.start(new LegPlan("netns " + namespace.name(), "lo", "inbound-plain",
                        "udp port " + PORT, false, CaptureLimits.none(), Map.of()), sink);
                long deadline = System.nanoTime() + WAIT_NANOS;
                while (!leg.listening()) {
                    assertTrue(System.nanoTime() < deadline, "tcpdump listens");
                    Thread.sleep(10);
                }
                String tcpdump = Tshark.run("ip", "netns", "pids", namespace.name()).strip();
                // Whatever meshcap asked of it on listening has been answered: no signal is waiting for it.
                awaitPendingSignals(tcpdump, pending -> pending == 0);
                stop(tcpdump);
                namespace.run("bash", "-c", "for i in $(seq " + PACKETS + "); do echo call > /dev/udp/127.0.0.1/"
                        + PORT + "; done");

                leg.stop();
                // meshcap has signalled it (to end, or first to say how far it is): only now may it run again.
                awaitPendingSignals(tcpdump, pending -> pending != 0);
                Tshark.run("kill", "-CONT", tcpdump);
                LegCapture.LegOutcome outcome = leg.await(Duration.ofSeconds(30));
                assertNotNull(outcome, "tcpdump ended");
            } finally {
                source.close();
            }
            List<List<String>> written = Tshark.fields(file, "udp.dstport == " + PORT, "udp.dstport");
            assertEquals(PACKETS, written.size(), "every packet queued for tcpdump before the stop is written");
        }
    }

    @Test
    void tcpdumpIsAskedForItsCountsWhenFirstSeenListeningAndAtEachLookAtItsDrops() throws Exception {
        try (ScratchNamespace namespace = ScratchNamespace.create("meshcap-asked", 65536);
                TcpdumpCaptureSource source = new TcpdumpCaptureSource(NetworkNamespace.named(namespace.name()))) {
            LegCapture leg = source.start(new LegPlan("netns " + namespace.name(), "lo", "inbound-plain",
                    "udp port " + PORT, false, CaptureLimits.none(), Map.of()), OutputStream.nullOutputStream());
            long deadline = System.nanoTime() + WAIT_NANOS;
            String tcpdump;
            while ((tcpdump = Tshark.run("ip", "netns", "pids", namespace.name()).strip()).isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "tcpdump runs");
                Thread.sleep(10);
            }
            // Its stderr, read where it writes it, without asking meshcap.
            Path said = Path.of("/proc", tcpdump, "fd", "2");
            while (!Files.readString(said).contains("listening on")) {
                assertTrue(System.nanoTime() < deadline, "tcpdump listens");
                Thread.sleep(10);
            }
            // Stopped, tcpdump keeps a signal pending: which ones meshcap sent is there to read.
            stop(tcpdump);
            assertTrue(leg.listening());
            assertEquals(SIGUSR1_PENDING, pendingSignals(tcpdump), "asked for the counts a stop compares with");
            Tshark.run("kill", "-CONT", tcpdump);
            awaitPendingSignals(tcpdump, pending -> pending == 0);
            stop(tcpdump);
            leg.droppedSoFar();
            assertEquals(SIGUSR1_PENDING, pendingSignals(tcpdump), "asked for its drops");
            Tshark.run("kill", "-CONT", tcpdump);
            leg.stop();
            assertEquals(0, leg.await(Duration.ofSeconds(30)).exitCode());
        }
    }

    @Test
    void tcpdumpHasCaughtUpOnceItWroteWhatTheKernelCountedSinceItListened() {
        TcpdumpCaptureSource.Counts listened = new TcpdumpCaptureSource.Counts(3, 10, 0);
        // lo: 20 packets written stand for 40 received, both copies of each; one fewer is not caught up.
        assertTrue(new TcpdumpCaptureSource.Counts(23, 50, 0).caughtUpSince(listened, 2));
        assertFalse(new TcpdumpCaptureSource.Counts(22, 50, 0).caughtUpSince(listened, 2));
        // eth0: one copy each.
        assertTrue(new TcpdumpCaptureSource.Counts(23, 30, 0).caughtUpSince(listened, 1));
        assertFalse(new TcpdumpCaptureSource.Counts(23, 31, 0).caughtUpSince(listened, 1));
        assertFalse(new TcpdumpCaptureSource.Counts(3, 11, 0).caughtUpSince(listened, 1));
        // Packets queued before it listened and written after: more written than received since.
        assertTrue(new TcpdumpCaptureSource.Counts(8, 12, 0).caughtUpSince(listened, 1));
        // Once the kernel dropped some, the counts cannot say what is still to come: waiting longer tells nothing.
        assertTrue(new TcpdumpCaptureSource.Counts(3, 50, 1).caughtUpSince(listened, 1));
        assertFalse(new TcpdumpCaptureSource.Counts(3, 50, 4).caughtUpSince(new TcpdumpCaptureSource.Counts(3, 10, 4),
                1));
    }

    @Test
    void onlyLoCountsEachPacketTwice() {
        assertEquals(2, TcpdumpCaptureSource.copiesPerPacket("lo"));
        assertEquals(1, TcpdumpCaptureSource.copiesPerPacket("eth0"));
        // any: lo's packets twice, the others once; taken as once, so that none is left unwritten.
        assertEquals(1, TcpdumpCaptureSource.copiesPerPacket("any"));
    }

    /** SIGSTOP, and waits until it took effect: until then SIGSTOP itself shows as pending. */
    private static void stop(String pid) throws Exception {
        Tshark.run("kill", "-STOP", pid);
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (Files.readAllLines(Path.of("/proc", pid, "status")).stream().noneMatch(line -> line.startsWith("State:")
                && line.contains("(stopped)"))) {
            assertTrue(System.nanoTime() < deadline, "tcpdump stopped");
            Thread.sleep(5);
        }
    }

    /** Waits until the signals pending for {@code pid} (thread and process, /proc/PID/status) satisfy the test. */
    private static void awaitPendingSignals(String pid, LongPredicate test) throws Exception {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!test.test(pendingSignals(pid))) {
            assertTrue(System.nanoTime() < deadline, "waited for tcpdump's pending signals");
            Thread.sleep(5);
        }
    }

    private static long pendingSignals(String pid) throws Exception {
        return Files.readAllLines(Path.of("/proc", pid, "status")).stream()
                .filter(line -> line.startsWith("SigPnd:") || line.startsWith("ShdPnd:"))
                .mapToLong(line -> Long.parseUnsignedLong(line.substring(7).strip(), 16)).reduce(0, (a, b) -> a | b);
    }
}
