package io.meshcap.capture;

import io.meshcap.capture.LegCapture.LegOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A target whose legs replay a pcap stream (a real recording, or one written beforehand) into their sink at once. By
 * default each leg has ended by itself, as legs at their {@code --count} have; {@link #runningUntilStopped} legs run
 * until they are stopped, as tcpdump does. Legs on the {@link #failingOn} interface cannot start; {@link #packetsAfter}
 * legs send their packets only when the test says, {@link #silentOn} legs nothing.
 */
final class ReplayingSource implements CaptureSource {

    /** A pcap file header's length: what a leg sends as soon as it starts. */
    private static final int PCAP_HEADER = 24;

    private final byte[] bytes;
    private final boolean untilStopped;
    private final String failing;
    private final CountDownLatch packetsAfter;
    private final String silent;

    private ReplayingSource(byte[] bytes, boolean untilStopped, String failing, CountDownLatch packetsAfter,
            String silent) {
        this.bytes = bytes;
        this.untilStopped = untilStopped;
        this.failing = failing;
        this.packetsAfter = packetsAfter;
        this.silent = silent;
    }

    static ReplayingSource of(byte[] bytes) {
        return new ReplayingSource(bytes, false, null, null, null);
    }

    ReplayingSource runningUntilStopped() {
        return new ReplayingSource(bytes, true, failing, packetsAfter, silent);
    }

    ReplayingSource failingOn(String iface) {
        return new ReplayingSource(bytes, untilStopped, iface, packetsAfter, silent);
    }

    /** Legs that send their file header at once and their packets only once {@code go} is counted down. */
    ReplayingSource packetsAfter(CountDownLatch go) {
        return new ReplayingSource(bytes, untilStopped, failing, go, silent);
    }

    /** Legs on {@code iface} start and send nothing, not even a file header, as a capturer that never ran. */
    ReplayingSource silentOn(String iface) {
        return new ReplayingSource(bytes, untilStopped, failing, packetsAfter, iface);
    }

    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
        if (leg.interfaceName().equals(failing)) {
            throw new IOException("tcpdump: " + failing + ": No such device exists");
        }
        if (leg.interfaceName().equals(silent)) {
            // nothing at all
        } else if (packetsAfter == null) {
            sink.write(bytes);
        } else {
            sink.write(bytes, 0, PCAP_HEADER);
            Thread packets = new Thread(() -> {
                try {
                    packetsAfter.await();
                    sink.write(bytes, PCAP_HEADER, bytes.length - PCAP_HEADER);
                } catch (InterruptedException | IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "test-replay-" + leg.label());
            packets.setDaemon(true);
            packets.start();
        }
        CountDownLatch ended = new CountDownLatch(untilStopped ? 1 : 0);
        return new LegCapture() {
            @Override
            public void stop() {
                ended.countDown();
            }

            @Override
            public LegOutcome await(Duration timeout) throws InterruptedException {
                return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS) ? new LegOutcome(0, 0, "") : null;
            }
        };
    }

    @Override
    public void close() {
    }
}
