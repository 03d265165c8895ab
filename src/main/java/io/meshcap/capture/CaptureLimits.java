package io.meshcap.capture;

import io.meshcap.MeshcapException;
import java.time.Duration;

/**
 * When a leg stops and how much of each packet it keeps. A zero or null limit means "no limit";
 * without any limit a capture runs until Ctrl-C.
 *
 * @param duration      stop after this long, or null
 * @param packetCount   stop after this many packets per leg, or 0
 * @param maxBytes      stop a leg once its spooled file reaches this size, or 0
 * @param snapLength    bytes kept of each packet (tcpdump -s); 0 keeps whole packets
 * @param ringFiles     with {@code maxBytes}: keep capturing, keeping only the newest {@code ringFiles} files of
 *                      {@code maxBytes} each (a ring); 1 stops the leg at {@code maxBytes} instead
 */
public record CaptureLimits(Duration duration, long packetCount, long maxBytes, int snapLength, int ringFiles) {

    /** The kernel capture buffer per leg, in KiB (tcpdump -B): 8 MiB, four times libpcap's default. */
    public static final int KERNEL_BUFFER_KIB = 8192;

    /** tcpdump's default snapshot length: whole packets. */
    public static final int WHOLE_PACKETS = 262144;

    public CaptureLimits {
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw MeshcapException.usage("--duration must be positive");
        }
        if (packetCount < 0 || maxBytes < 0) {
            throw MeshcapException.usage("--count and --max-size must not be negative");
        }
        if (ringFiles < 1) {
            throw MeshcapException.usage("--ring must be at least 1");
        }
        if (ringFiles > 1 && maxBytes == 0) {
            throw MeshcapException.usage("--ring needs --max-size: the size of each file in the ring");
        }
        if (snapLength < 0 || snapLength > WHOLE_PACKETS) {
            throw MeshcapException.usage("--snaplen must be between 0 (whole packets) and " + WHOLE_PACKETS);
        }
    }

    /** Limits without a ring: the leg stops at {@code maxBytes}. */
    public CaptureLimits(Duration duration, long packetCount, long maxBytes, int snapLength) {
        this(duration, packetCount, maxBytes, snapLength, 1);
    }

    /** No limits, whole packets. */
    public static CaptureLimits none() {
        return new CaptureLimits(null, 0, 0, 0);
    }

    /** The snapshot length to ask the capturer for. */
    public int effectiveSnapLength() {
        return snapLength == 0 ? WHOLE_PACKETS : snapLength;
    }
}
