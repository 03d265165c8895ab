package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.lab.LabFixture;
import io.meshcap.sys.NetworkNamespace;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The drops a running capturer reports, for the live status line, with the real tcpdump and libpcap. */
class LiveDropCountTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    private static LegPlan loLeg() {
        return new LegPlan("netns " + LAB.topology().podNamespace(), "lo", "inbound-plain", "tcp port 8080", false,
                CaptureLimits.none(), Map.of());
    }

    @Test
    void tcpdumpAnswersWhileItRunsAndTheLastFigureCounts() throws Exception {
        assertEquals(OptionalLong.of(4), TcpdumpCaptureSource.lastDropCount(String.join("\n",
                "tcpdump: 0 packets captured, 0 packets received by filter, 1 packet dropped by kernel",
                "tcpdump: 9 packets captured, 9 packets received by filter, 4 packets dropped by kernel", "")));
        assertEquals(OptionalLong.empty(), TcpdumpCaptureSource.lastDropCount("tcpdump: listening on lo\n"));

        try (TcpdumpCaptureSource source = new TcpdumpCaptureSource(NetworkNamespace.named(LAB.topology().podNamespace()))) {
            LegCapture leg = source.start(loLeg(), new ByteArrayOutputStream());
            assertEquals(OptionalLong.of(0), awaitDrops(leg), "tcpdump reports drops while it runs");
            LAB.traffic(2, 0);
            assertTrue(awaitDrops(leg).isPresent());
            leg.stop();
            LegCapture.LegOutcome outcome = leg.await(Duration.ofSeconds(10));
            assertNotNull(outcome);
            assertEquals(0, outcome.exitCode(), outcome.message());
            assertEquals(0, outcome.packetsDropped(), "the final figure is still read after the live ones");
        }
    }

    @Test
    void pcap4jReportsLibpcapsCountWhileItRuns() throws Exception {
        try (Pcap4jCaptureSource source = new Pcap4jCaptureSource(NetworkNamespace.named(LAB.topology().podNamespace()))) {
            LegCapture leg = source.start(loLeg(), new ByteArrayOutputStream());
            assertEquals(OptionalLong.of(0), awaitDrops(leg));
            leg.stop();
            assertNotNull(leg.await(Duration.ofSeconds(10)));
        }
    }

    /** Asks until the capturer has answered once (tcpdump answers a signal asynchronously). */
    private static OptionalLong awaitDrops(LegCapture leg) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        OptionalLong dropped = leg.droppedSoFar();
        while (dropped.isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            dropped = leg.droppedSoFar();
        }
        return dropped;
    }
}
