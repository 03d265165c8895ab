package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.lab.LabFixture;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.Tshark;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-JVM engine reads libpcap's ring a batch at a time ({@link LibpcapDispatch}) and copies each packet's header
 * fields itself: judged against plain tcpdump recording the same packets at the same time, packet for packet.
 */
class Pcap4jCaptureSourceTest {

    private static final int PACKETS = 12;
    /** Short enough that every packet with data is cut: captured and original lengths differ. */
    private static final int SNAP_LENGTH = 80;
    private static final String FILTER = "tcp port 8080";
    private static final BigDecimal CLOCK_SKEW = new BigDecimal("0.001");
    private static final BigDecimal MICROSECOND = new BigDecimal("0.000001");

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    @TempDir
    Path dir;

    @Test
    void recordsTheSamePacketsTimesAndLengthsAsTcpdump() throws Exception {
        String pod = LAB.topology().podNamespace();
        Path byTcpdump = dir.resolve("tcpdump.pcap");
        Path byPcap4j = dir.resolve("pcap4j.pcap");
        Path tcpdumpErr = dir.resolve("tcpdump.err");
        Process tcpdump = new ProcessBuilder("ip", "netns", "exec", pod, "tcpdump", "--immediate-mode", "-U", "-n",
                "--time-stamp-precision=nano", "-i", "lo", "-s", Integer.toString(SNAP_LENGTH),
                "-c", Integer.toString(PACKETS), "-w", byTcpdump.toString(), FILTER)
                .redirectError(tcpdumpErr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (Pcap4jCaptureSource source = new Pcap4jCaptureSource(NetworkNamespace.named(pod));
             OutputStream sink = Files.newOutputStream(byPcap4j)) {
            LegPlan leg = new LegPlan("netns " + pod, "lo", "inbound-plain", FILTER, false,
                    new CaptureLimits(null, PACKETS, 0, SNAP_LENGTH), Map.of());
            LegCapture capture = source.start(leg, sink);
            awaitListening(tcpdumpErr);
            // Calls enough for PACKETS on lo whether or not the lab's HTTP/1.1 reuses a connection between them.
            LAB.traffic(6, 0);
            assertTrue(tcpdump.waitFor(60, TimeUnit.SECONDS), "tcpdump stops by itself after " + PACKETS + " packets");
            LegCapture.LegOutcome outcome = capture.await(Duration.ofSeconds(60));
            assertNotNull(outcome, "the leg stops by itself after " + PACKETS + " packets");
            assertEquals(0, outcome.exitCode(), outcome.message());
        }

        String[] fields = {"frame.len", "frame.cap_len", "ip.src", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
            "tcp.ack_raw", "tcp.flags", "tcp.checksum", "tcp.payload"};
        List<List<String>> expected = Tshark.fields(byTcpdump, "", fields);
        assertEquals(PACKETS, expected.size());
        assertTrue(expected.stream().anyMatch(packet -> !packet.get(0).equals(packet.get(1))),
                "some packets are longer than the snap length: " + expected);
        assertEquals(expected, Tshark.fields(byPcap4j, "", fields));
        // Each packet socket stamps a packet itself, so the two captures' times differ by a little.
        List<BigDecimal> tcpdumpTimes = times(byTcpdump);
        List<BigDecimal> pcap4jTimes = times(byPcap4j);
        for (int i = 0; i < PACKETS; i++) {
            BigDecimal apart = tcpdumpTimes.get(i).subtract(pcap4jTimes.get(i)).abs();
            assertTrue(apart.compareTo(CLOCK_SKEW) < 0, "packet " + i + ": " + tcpdumpTimes.get(i) + " by tcpdump, "
                    + pcap4jTimes.get(i) + " by pcap4j");
        }
        assertTrue(pcap4jTimes.stream().anyMatch(time -> time.remainder(MICROSECOND).signum() != 0),
                "nanosecond timestamps: " + pcap4jTimes);
    }

    private static List<BigDecimal> times(Path file) {
        return Tshark.fields(file, "", "frame.time_epoch").stream().map(row -> new BigDecimal(row.get(0))).toList();
    }

    private static void awaitListening(Path stderr) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!(Files.exists(stderr) && Files.readString(stderr).contains("listening on"))) {
            assertTrue(Instant.now().isBefore(deadline), "tcpdump did not start listening");
            Thread.sleep(20);
        }
    }
}
