package io.meshcap.capture;

import java.time.Duration;
import java.util.OptionalLong;

/** A leg that is being captured. */
public interface LegCapture {

    /**
     * Whether the capturer listens yet: packets from the moment it does are in the capture. Does not block: the
     * capture engine asks every started leg in turn until all listen, so the legs start together. A capturer that
     * listens as soon as it is started (libpcap in this JVM) keeps the default.
     *
     * @throws io.meshcap.MeshcapException if the capturer ended before it listened, saying why
     */
    default boolean listening() {
        return true;
    }

    /** Asks the capture to finish: flush what it has and end its stream. Idempotent. */
    void stop();

    /**
     * Waits for the capture to end.
     *
     * @return the outcome, or null if it has not ended within {@code timeout}
     */
    LegOutcome await(Duration timeout) throws InterruptedException;

    /**
     * Packets the kernel or libpcap has dropped so far, for the live status line; asking may also request a fresher
     * figure for the next call. Empty while the capturer has not said: tcpdump in a pod reports only when it ends.
     */
    default OptionalLong droppedSoFar() {
        return OptionalLong.empty();
    }

    /**
     * How a leg ended.
     *
     * @param exitCode       the capturer's exit code (tcpdump's), 0 for a clean stop
     * @param packetsDropped packets the kernel or libpcap dropped, -1 when the capturer did not say
     * @param message        what the capturer said on failure (its stderr), or empty
     */
    record LegOutcome(int exitCode, long packetsDropped, String message) {
    }
}
