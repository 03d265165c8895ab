package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.spool.PcapSpool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusLineTest {

    @TempDir
    Path dir;

    /** A running leg whose capturer reports the given drops. */
    private static LegCapture reporting(OptionalLong drops) {
        return new LegCapture() {
            @Override
            public void stop() {
            }

            @Override
            public LegOutcome await(Duration timeout) {
                return null;
            }

            @Override
            public OptionalLong droppedSoFar() {
                return drops;
            }
        };
    }

    @Test
    void eachLegShowsItsDropsOrSaysTheyComeAtTheEnd() throws Exception {
        StringWriter text = new StringWriter();
        StatusLine status = new StatusLine(new PrintWriter(text), true);
        try (PcapSpool local = new PcapSpool(dir.resolve("a.pcap"), 0, () -> { });
             PcapSpool remote = new PcapSpool(dir.resolve("b.pcap"), 0, () -> { })) {
            status.start(List.of(new StatusLine.Counter("pod/lo:outbound-plain", local, reporting(OptionalLong.of(3))),
                    new StatusLine.Counter("reviews/eth0:inbound-mtls", remote, reporting(OptionalLong.empty()))), null);
            status.finish();
        }
        String shown = text.toString();
        assertTrue(shown.contains("pod/lo:outbound-plain 0 pkts 0 B 3 dropped"), shown);
        assertTrue(shown.contains("reviews/eth0:inbound-mtls 0 pkts 0 B drops told at the end"), shown);
    }
}
