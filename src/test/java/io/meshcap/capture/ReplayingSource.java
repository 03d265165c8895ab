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
 * until they are stopped, as tcpdump does. Legs on the {@link #failingOn} interface cannot start; {@link #silentOn} legs send
 * nothing.
 */
final class ReplayingSource implements CaptureSource {

    private final byte[] bytes;
    private final boolean untilStopped;
    private final String failing;
    private final String silent;

    private ReplayingSource(byte[] bytes, boolean untilStopped, String failing, String silent) {
        this.bytes = bytes;
        this.untilStopped = untilStopped;
        this.failing = failing;
        this.silent = silent;
    }

    static ReplayingSource of(byte[] bytes) {
        return new ReplayingSource(bytes, false, null, null);
    }

    ReplayingSource runningUntilStopped() {
        return new ReplayingSource(bytes, true, failing, silent);
    }

    ReplayingSource failingOn(String iface) {
        return new ReplayingSource(bytes, untilStopped, iface, silent);
    }

    /** Legs on {@code iface} start and send nothing, not even a file header, as a capturer that never ran. */
    ReplayingSource silentOn(String iface) {
        return new ReplayingSource(bytes, untilStopped, failing, iface);
    }

    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
        if (leg.interfaceName().equals(failing)) {
            throw new IOException("tcpdump: " + failing + ": No such device exists");
        }
        if (!leg.interfaceName().equals(silent)) {
            sink.write(bytes);
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
