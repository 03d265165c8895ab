package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.spool.PcapSpool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

    private static String lines(String... lines) {
        return String.join(System.lineSeparator(), lines) + System.lineSeparator();
    }

    private static LegPlan leg(String filter) {
        return new LegPlan("shop/reviews-v1-7d9c", "eth0", "inbound-mtls", filter, false, CaptureLimits.none(), Map.of());
    }

    @Test
    void aLegThatListensIsAnnouncedWithItsFilterShortenedPastAHundredAndTwentyCharacters() {
        StringWriter text = new StringWriter();
        StatusLine status = new StatusLine(new PrintWriter(text), false);
        String exactly120 = "port 9080 and " + "x".repeat(106);
        status.listening(leg(exactly120), java.time.Instant.parse("2026-12-05T14:21:41.892Z"));
        status.listening(leg(exactly120 + "y"), java.time.Instant.parse("2026-12-05T14:21:41.892Z"));
        String[] shown = text.toString().split(System.lineSeparator());
        assertTrue(shown[0].matches("meshcap: \\d\\d:\\d\\d:41\\.892 listening: reviews-v1-7d9c/eth0:inbound-mtls on eth0, "
                + "filter port 9080 and x{106}"), shown[0]);
        assertTrue(shown[1].endsWith(", filter " + exactly120 + "... (meshcap capture --print-plan shows it whole)"),
                shown[1]);
    }

    @Test
    void theStartSaysHowManyLegsAndWhatEndsTheCapture() {
        StringWriter text = new StringWriter();
        StatusLine status = new StatusLine(new PrintWriter(text), false);
        status.start(List.of(), null);
        status.start(List.of(), Duration.ofMinutes(5));
        String[] shown = text.toString().split(System.lineSeparator());
        assertEquals("meshcap: capturing 0 leg(s) until Ctrl-C or a limit ends it", shown[0]);
        assertTrue(shown[1].matches("meshcap: capturing 0 leg\\(s\\) for 300 s \\(--duration counts from now, when every"
                + " leg listens\\), until \\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d or Ctrl-C"), shown[1]);
    }

    @Test
    void aSilentLegIsPointedOutAndSoIsItsReturnReplacingTheLineOnATerminal() {
        StringWriter piped = new StringWriter();
        StatusLine pipe = new StatusLine(new PrintWriter(piped), false);
        pipe.silent("reviews/eth0:inbound-mtls", Duration.ofSeconds(10));
        pipe.receivingAgain("reviews/eth0:inbound-mtls");
        assertEquals(lines("meshcap: leg reviews/eth0:inbound-mtls has received nothing for 10 s: its stream may be "
                + "stalled (or nothing matches its filter)", "meshcap: leg reviews/eth0:inbound-mtls is receiving again"),
                piped.toString());

        StringWriter shown = new StringWriter();
        StatusLine terminal = new StatusLine(new PrintWriter(shown), true);
        terminal.receivingAgain("a/lo:outbound-plain");
        assertEquals(lines("\r\u001b[Kmeshcap: leg a/lo:outbound-plain is receiving again"), shown.toString());
    }

    @Test
    void theLastLineIsRedrawnWholeOnATerminalAndNotRepeatedIntoAPipe() throws Exception {
        StringWriter shown = new StringWriter();
        StringWriter piped = new StringWriter();
        StatusLine terminal = new StatusLine(new PrintWriter(shown), true);
        StatusLine pipe = new StatusLine(new PrintWriter(piped), false);
        terminal.finish();
        assertEquals("", shown.toString(), "nothing to redraw before the capture started");
        try (PcapSpool spool = new PcapSpool(dir.resolve("c.pcap"), 0, () -> { })) {
            List<StatusLine.Counter> legs = List.of(new StatusLine.Counter("pod/lo:outbound-plain", spool,
                    reporting(OptionalLong.of(10))));
            terminal.start(legs, null);
            pipe.start(legs, null);
            pipe.refresh();
            terminal.finish();
            pipe.finish();
        }
        // The elapsed time is whatever the machine took between start and finish: seconds, not minutes.
        assertTrue(shown.toString().matches("meshcap: capturing 1 leg\\(s\\) until Ctrl-C or a limit ends it\\R"
                + "\\r\\[00:\\d\\d\\] pod/lo:outbound-plain 0 pkts 0 B 10 dropped\\R"), shown.toString());
        assertEquals(lines("meshcap: capturing 1 leg(s) until Ctrl-C or a limit ends it"), piped.toString(),
                "into a pipe a line every 10 s, none at the end");
    }
}
