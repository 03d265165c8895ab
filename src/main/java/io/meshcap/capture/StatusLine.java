package io.meshcap.capture;

import io.meshcap.spool.PcapSpool;
import io.meshcap.text.Sizes;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * The live progress of a capture on stderr: per leg, packets and bytes so far and the drops its capturer has
 * reported, and the elapsed time.
 * On a terminal the line is redrawn in place; otherwise a line is printed every {@link #PIPE_INTERVAL}.
 */
public final class StatusLine {

    private static final Duration TERMINAL_INTERVAL = Duration.ofSeconds(1);
    private static final Duration PIPE_INTERVAL = Duration.ofSeconds(10);
    private static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    /** How much of a leg's filter its start line shows; the plan shows it whole. */
    private static final int FILTER_SHOWN = 120;

    /**
     * One leg's counters.
     *
     * @param label   the leg's label
     * @param spool   where its packets are counted
     * @param capture the running capture, which knows its drops
     */
    public record Counter(String label, PcapSpool spool, LegCapture capture) {

        String describe() {
            OptionalLong dropped = capture.droppedSoFar();
            return label + " " + spool.packets() + " pkts " + Sizes.human(spool.bytes()) + " "
                    + (dropped.isPresent() ? dropped.getAsLong() + " dropped" : "drops told at the end");
        }
    }

    private final PrintWriter out;
    private final boolean terminal;
    private final Clock clock;
    /** Times of day as the clock's zone has them. */
    private final DateTimeFormatter timeOfDay;
    private List<Counter> counters = List.of();
    private Instant started;
    private Instant lastShown;

    public StatusLine(PrintWriter out, boolean terminal) {
        this(out, terminal, Clock.systemDefaultZone());
    }

    /** @param clock the time the line shows, elapsed and of day (a test's, which it moves on itself) */
    StatusLine(PrintWriter out, boolean terminal, Clock clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
        this.timeOfDay = TIME_OF_DAY.withZone(clock.getZone());
    }

    /** Says that a leg listens: its traffic from {@code since} on is in the capture. */
    void listening(LegPlan leg, Instant since) {
        out.println("meshcap: " + timeOfDay.format(since) + " listening: " + leg.label() + " on " + leg.interfaceName()
                + ", filter " + abbreviate(leg.filter()));
        out.flush();
    }

    /**
     * Says that the capture runs, once every leg listens, and what ends it.
     *
     * @param duration the --duration, counted from now; or null
     */
    void start(List<Counter> legs, Duration duration) {
        counters = legs;
        started = clock.instant();
        lastShown = started;
        String until = duration == null ? "until Ctrl-C or a limit ends it"
                : "for " + CaptureLimits.describe(duration) + " (--duration counts from now, when every leg listens),"
                        + " until " + timeOfDay.format(started.plus(duration)) + " or Ctrl-C";
        out.println("meshcap: capturing " + legs.size() + " leg(s) " + until);
        out.flush();
    }

    private static String abbreviate(String filter) {
        return filter.length() <= FILTER_SHOWN ? filter
                : filter.substring(0, FILTER_SHOWN) + "... (meshcap capture --print-plan shows it whole)";
    }

    void refresh() {
        Instant now = clock.instant();
        Duration interval = terminal ? TERMINAL_INTERVAL : PIPE_INTERVAL;
        if (Duration.between(lastShown, now).compareTo(interval) < 0) {
            return;
        }
        lastShown = now;
        out.print((terminal ? "\r" : "") + line(now) + (terminal ? "" : System.lineSeparator()));
        out.flush();
    }

    /** Points out a leg that has received nothing for {@code silence}: its stream may be stalled. */
    void silent(String label, Duration silence) {
        note("leg " + label + " has received nothing for " + silence.toSeconds() + " s: its stream may be stalled "
                + "(or nothing matches its filter)");
    }

    /** A leg pointed out as {@link #silent} receives packets again. */
    void receivingAgain(String label) {
        note("leg " + label + " is receiving again");
    }

    /**
     * A leg's stream ended part-way into a packet (its capturer was cut off while writing it): the spool leaves that
     * packet out, so the leg stays readable, and the user hears of the loss.
     */
    void endedMidPacket(String label, int bytes) {
        note("leg " + label + ": its stream ended in the middle of a packet; that packet (" + bytes + " bytes of it"
                + " received) is left out, every whole packet before it is kept");
    }

    private void note(String text) {
        // On a terminal the note replaces the status line (carriage return, erase line); the next refresh redraws it.
        out.println((terminal ? "\r\u001b[K" : "") + "meshcap: " + text);
        out.flush();
    }

    void finish() {
        if (started != null && terminal) {
            out.println("\r" + line(clock.instant()));
            out.flush();
        }
    }

    private String line(Instant now) {
        long seconds = Duration.between(started, now).toSeconds();
        return String.format("[%02d:%02d] ", seconds / 60, seconds % 60) + counters.stream()
                .map(Counter::describe)
                .collect(Collectors.joining(" | "));
    }
}
