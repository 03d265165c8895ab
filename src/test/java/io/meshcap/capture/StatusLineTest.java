package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.spool.PcapSpool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusLineTest {

    private static final Instant START = Instant.parse("2026-12-05T14:21:41.892Z");

    @TempDir
    Path dir;

    /** The status line's clock, moved on by the test; its time zone is UTC. */
    private static final class TestClock extends Clock {
        private Instant now = START;

        void at(Duration sinceStart) {
            now = START.plus(sinceStart);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

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

    /** What {@code status} printed while the clock moved to each of {@code times}, refreshed at each. */
    private static List<String> refreshedAt(StringWriter text, StatusLine status, TestClock clock, Duration... times) {
        List<String> shown = new java.util.ArrayList<>();
        for (Duration time : times) {
            text.getBuffer().setLength(0);
            clock.at(time);
            status.refresh();
            shown.add(text.toString());
        }
        return shown;
    }

    @Test
    void onATerminalTheLineIsRedrawnEverySecondWithTheMinutesAndSecondsSinceTheStart() throws Exception {
        StringWriter text = new StringWriter();
        TestClock clock = new TestClock();
        StatusLine status = new StatusLine(new PrintWriter(text), true, clock);
        try (PcapSpool spool = new PcapSpool(dir.resolve("c.pcap"), 0, () -> { })) {
            status.start(List.of(new StatusLine.Counter("pod/lo:outbound-plain", spool, reporting(OptionalLong.of(10))),
                    new StatusLine.Counter("pod/eth0:inbound-mtls", spool, reporting(OptionalLong.empty()))), null);

            String line = " pod/lo:outbound-plain 0 pkts 0 B 10 dropped | pod/eth0:inbound-mtls 0 pkts 0 B drops told at"
                    + " the end";
            assertEquals(List.of("", "\r[00:01]" + line, "", "\r[02:05]" + line), refreshedAt(text, status, clock,
                    Duration.ofMillis(999), Duration.ofSeconds(1), Duration.ofMillis(1999), Duration.ofSeconds(125)));
            text.getBuffer().setLength(0);
            clock.at(Duration.ofSeconds(3671));
            status.finish();
            assertEquals("\r[61:11]" + line + System.lineSeparator(), text.toString());
        }
    }

    @Test
    void intoAPipeALineComesEveryTenSeconds() throws Exception {
        StringWriter text = new StringWriter();
        TestClock clock = new TestClock();
        StatusLine status = new StatusLine(new PrintWriter(text), false, clock);
        try (PcapSpool spool = new PcapSpool(dir.resolve("c.pcap"), 0, () -> { })) {
            status.start(List.of(new StatusLine.Counter("pod/lo:outbound-plain", spool, reporting(OptionalLong.of(0)))),
                    null);

            String line = " pod/lo:outbound-plain 0 pkts 0 B 0 dropped" + System.lineSeparator();
            assertEquals(List.of("", "", "[00:10]" + line, "", "[00:20]" + line), refreshedAt(text, status, clock,
                    Duration.ofSeconds(1), Duration.ofMillis(9999), Duration.ofSeconds(10), Duration.ofSeconds(19),
                    Duration.ofSeconds(20)));
        }
    }

    @Test
    void timesOfDayAreTheClocks() {
        StringWriter text = new StringWriter();
        StatusLine status = new StatusLine(new PrintWriter(text), false, new TestClock());
        status.listening(leg("tcp port 9080"), START.plusSeconds(1));
        status.start(List.of(), Duration.ofMinutes(5));
        assertEquals(lines("meshcap: 14:21:42.892 listening: reviews-v1-7d9c/eth0:inbound-mtls on eth0, filter tcp port"
                + " 9080", "meshcap: capturing 0 leg(s) for 300 s (--duration counts from now, when every leg listens),"
                + " until 14:26:41.892 or Ctrl-C"), text.toString());
    }
}
