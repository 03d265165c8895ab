package io.meshcap.testing;

import io.meshcap.sys.Libc;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * tcpdump's packet counts as it prints them when asked (SIGUSR1), for test recordings that must hold every packet:
 * "the file stopped growing" is no proof that tcpdump has read what the kernel queued for it, a loaded machine can
 * leave it behind for longer than any pause, and a tcpdump stopped by a signal loses what it has not read yet.
 *
 * <p>The counts start before tcpdump's filter does: packets that reach the interface while tcpdump sets up, before
 * libpcap installs the filter, are counted as received and then left out by libpcap's own check of the filter, so
 * they are never captured (seen: 33 packets of other traffic on a busy lo, 2 on a shared lo in a test's recording,
 * which then waited out its whole timeout). Waits compare what came after a {@linkplain #ask baseline} taken once
 * tcpdump listens.
 *
 * @param captured packets tcpdump has written
 * @param received packets that passed the filter in the kernel (written, queued or dropped)
 * @param dropped  packets the kernel dropped because the ring was full
 */
public record TcpdumpCounts(long captured, long received, long dropped) {

    private static final Pattern ANSWER = Pattern.compile(
            "(\\d+) packets? captured, (\\d+) packets? received by filter, (\\d+) packets? dropped by kernel");
    private static final long POLL_MILLIS = 20;

    /** Source of tcpdump's messages so far (its stderr). */
    public interface Messages {
        String text() throws IOException;
    }

    /**
     * Whether waiting longer tells nothing more, for counts {@linkplain #since since a baseline}: tcpdump has written
     * every packet the kernel handed it since, or the kernel dropped some. {@code lo} hands a packet socket each packet
     * twice (sent and received) and libpcap keeps one copy, any other interface hands it once; "received" counts the
     * dropped copies too. A drop on {@code lo} may take either copy of a packet, so after one the counts can no longer
     * say how many are still to be written; the recording is incomplete anyway, and the caller makes it again or fails
     * naming the drops. More written than received since the baseline is settled too: a packet of someone else's
     * traffic counted before the baseline and written after it.
     */
    public boolean settled(String iface) {
        return dropped > 0 || received <= (iface.equals("lo") ? 2 : 1) * captured;
    }

    /** The counts since {@code baseline}. */
    public TcpdumpCounts since(TcpdumpCounts baseline) {
        return new TcpdumpCounts(captured - baseline.captured, received - baseline.received,
                dropped - baseline.dropped);
    }

    /**
     * tcpdump's counts now (it answers SIGUSR1): taken once it listens, the baseline later counts are compared with.
     *
     * @throws AssertionError if it does not answer within {@code timeoutSeconds}
     */
    public static TcpdumpCounts ask(Process tcpdump, Messages messages, long timeoutSeconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        long answered = ANSWER.matcher(messages.text()).results().count();
        Libc.C.kill((int) tcpdump.pid(), Libc.SIGUSR1);
        while (ANSWER.matcher(messages.text()).results().count() == answered) {
            if (!tcpdump.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("tcpdump did not answer SIGUSR1 within " + timeoutSeconds + " s: "
                        + messages.text());
            }
            pause();
        }
        return last(messages.text());
    }

    /**
     * Asks {@code tcpdump} for its counts until those since {@code baseline} have {@linkplain #settled settled} on
     * {@code iface}; returns the last counts since the baseline (look at {@link #dropped}), or null if it ended first.
     *
     * @throws AssertionError if it has not caught up within {@code timeoutSeconds}
     */
    public static TcpdumpCounts awaitSettled(Process tcpdump, Messages messages, String iface, TcpdumpCounts baseline,
                                             long timeoutSeconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        TcpdumpCounts last = null;
        while (tcpdump.isAlive() && System.nanoTime() < deadline) {
            long answered = ANSWER.matcher(messages.text()).results().count();
            Libc.C.kill((int) tcpdump.pid(), Libc.SIGUSR1);
            while (ANSWER.matcher(messages.text()).results().count() == answered && tcpdump.isAlive()
                    && System.nanoTime() < deadline) {
                pause();
            }
            TcpdumpCounts answer = last(messages.text());
            last = answer == null ? null : answer.since(baseline);
            if (last != null && last.settled(iface)) {
                return last;
            }
        }
        if (tcpdump.isAlive()) {
            throw new AssertionError("tcpdump did not catch up within " + timeoutSeconds + " s (counts when it began listening: "
                    + baseline + "): " + messages.text());
        }
        return last;
    }

    /** The last counts tcpdump answered with, or null. */
    static TcpdumpCounts last(String messages) {
        Matcher answers = ANSWER.matcher(messages);
        TcpdumpCounts last = null;
        while (answers.find()) {
            last = new TcpdumpCounts(Long.parseLong(answers.group(1)), Long.parseLong(answers.group(2)),
                    Long.parseLong(answers.group(3)));
        }
        return last;
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
