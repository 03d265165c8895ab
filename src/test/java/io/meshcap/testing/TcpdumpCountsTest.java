package io.meshcap.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the test recordings stop waiting for tcpdump: the counts it prints, read the way the kernel keeps them. */
class TcpdumpCountsTest {

    @Test
    void everyCopyWrittenIsSettledAndOneStillQueuedIsNot() {
        // lo: each packet reaches the packet socket sent and received; libpcap writes one of the two.
        assertTrue(new TcpdumpCounts(10, 20, 0).settled("lo"));
        assertFalse(new TcpdumpCounts(9, 20, 0).settled("lo"));
        assertTrue(new TcpdumpCounts(10, 10, 0).settled("eth0"));
        assertFalse(new TcpdumpCounts(9, 10, 0).settled("eth0"));
    }

    @Test
    void aDropOnLoThatTookOneCopyOfAPacketSettlesTheCounts() {
        // The received copy of one packet dropped, its sent copy read and left out by libpcap: "received" counts
        // both, so no number of packets written makes received = 2 x captured + dropped, and the old rule waited
        // its whole timeout (seen as "tcpdump did not catch up within 120 s" on a loaded machine).
        assertTrue(new TcpdumpCounts(0, 2, 1).settled("lo"));
        assertTrue(new TcpdumpCounts(5, 12, 1).settled("lo"));
    }

    /**
     * Packets that reach the interface while tcpdump sets up, before its filter is in place, are counted as received
     * and never written: seen as 0 captured and 33 received on a busy lo, and as a recording on the shared lo that
     * waited its whole 120 s at "55 packets captured, 112 packets received by filter, 0 packets dropped by kernel".
     * Only what came after the counts taken once tcpdump listens is compared.
     */
    @Test
    void countsFromBeforeTheFilterAreLeftOutByTheBaselineTakenOnceTcpdumpListens() {
        TcpdumpCounts listening = new TcpdumpCounts(0, 33, 0);
        assertFalse(new TcpdumpCounts(10, 53, 0).settled("lo"), "the whole counts never settle");
        assertTrue(new TcpdumpCounts(10, 53, 0).since(listening).settled("lo"));
        assertFalse(new TcpdumpCounts(9, 53, 0).since(listening).settled("lo"), "one packet still to write");
        assertTrue(new TcpdumpCounts(10, 43, 0).since(listening).settled("eth0"));
        assertFalse(new TcpdumpCounts(9, 43, 0).since(listening).settled("eth0"));
        // Someone else's packet on a shared lo, counted before the baseline and written after it.
        assertTrue(new TcpdumpCounts(11, 53, 0).since(listening).settled("lo"));
        assertEquals(new TcpdumpCounts(10, 20, 1), new TcpdumpCounts(10, 53, 1).since(listening));
    }

    /** The wait itself, with tcpdump's answers scripted: it returns the counts since the baseline once they settle. */
    @Test
    void theWaitSettlesOnCountsSinceTheBaseline() throws Exception {
        // A process that ignores SIGUSR1 stands in for tcpdump; each look at its messages finds one answer more.
        Process standIn = new ProcessBuilder("sh", "-c", "trap '' USR1; echo ignoring; exec sleep 60").start();
        try {
            // Signalled before its trap is set, it would end: it says when it ignores the signal.
            assertEquals("ignoring", new BufferedReader(new InputStreamReader(standIn.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine());
            StringBuilder answers = new StringBuilder();
            TcpdumpCounts.Messages messages = () -> answers.append("tcpdump: 10 packets captured, 53 packets received by"
                    + " filter, 0 packets dropped by kernel\n").toString();
            assertEquals(new TcpdumpCounts(10, 20, 0), TcpdumpCounts.awaitSettled(standIn, messages, "lo",
                    new TcpdumpCounts(0, 33, 0), 60));
            AssertionError notSettled = assertThrows(AssertionError.class, () -> TcpdumpCounts.awaitSettled(standIn,
                    messages, "lo", new TcpdumpCounts(0, 0, 0), 1));
            assertTrue(notSettled.getMessage().startsWith("tcpdump did not catch up within 1 s"), notSettled::getMessage);
        } finally {
            standIn.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTcpdumpThatLostPacketsIsWaitedForOnlyUntilItSaysSo(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("tcpdump.log");
        try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            // The smallest kernel ring (-B 1): stopped while the burst is sent, it cannot hold it.
            Process tcpdump = new ProcessBuilder("tcpdump", "-Z", "root", "--immediate-mode", "-U", "-n", "-B", "1",
                    "-i", "lo", "-w", dir.resolve("lost.pcap").toString(), "udp port " + receiver.getLocalPort())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(log.toFile()).start();
            try {
                TcpdumpCounts.Messages messages = () -> Files.readString(log, StandardCharsets.UTF_8);
                awaitListening(tcpdump, messages);
                TcpdumpCounts listening = TcpdumpCounts.ask(tcpdump, messages, 60);
                signal(tcpdump, "-STOP");
                burst(receiver.getLocalPort());
                signal(tcpdump, "-CONT");
                TcpdumpCounts counts = TcpdumpCounts.awaitSettled(tcpdump, messages, "lo", listening, 60);
                assertNotNull(counts, "tcpdump ended before its counts settled");
                assertTrue(counts.dropped() > 0, counts::toString);
            } finally {
                tcpdump.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitListening(Process tcpdump, TcpdumpCounts.Messages messages) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!messages.text().contains("listening on")) {
            assertTrue(tcpdump.isAlive() && System.nanoTime() < deadline, "tcpdump did not listen: " + messages.text());
            Thread.sleep(20);
        }
    }

    private static void burst(int port) throws IOException {
        byte[] payload = new byte[1400];
        try (DatagramSocket sender = new DatagramSocket()) {
            for (int i = 0; i < 4000; i++) {
                sender.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
            }
        }
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder(List.of("kill", signal, Long.toString(process.pid()))).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill " + signal);
    }
}
