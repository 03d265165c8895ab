package io.meshcap.capture;

import io.meshcap.MeshcapException;
import io.meshcap.text.Sizes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * The smallest size limit a leg's file may have: it must hold a whole packet, and with segmentation offload the
     * kernel hands the capturer packets of up to 64 KiB.
     */
    public static final long SMALLEST_FILE = 64 << 10;

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

    /**
     * What ends each leg, in exact units: {@code after 300 s (counted once every leg listens), after 7 packets, at
     * 104857600 bytes (100.0 MB) per leg}.
     */
    public String describe() {
        List<String> ends = new ArrayList<>();
        if (duration != null) {
            ends.add("after " + describe(duration) + " (counted once every leg listens)");
        }
        if (packetCount > 0) {
            ends.add("after " + packetCount + " packets");
        }
        String file = maxBytes + " bytes (" + Sizes.human(maxBytes) + ")";
        if (maxBytes > 0 && ringFiles == 1) {
            ends.add("at " + file);
        }
        String stops = ends.isEmpty() ? "on Ctrl-C" : String.join(", ", ends);
        return ringFiles > 1 ? stops + "; keeps the newest " + ringFiles + " files of " + file + " per leg"
                : stops + (ends.isEmpty() ? "" : " per leg");
    }

    /** {@code 300 s}, {@code 250 ms}: the exact figure, whatever unit the user wrote. */
    public static String describe(Duration duration) {
        return duration.toMillisPart() == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    /** The snapshot length to ask the capturer for. */
    public int effectiveSnapLength() {
        return snapLength == 0 ? WHOLE_PACKETS : snapLength;
    }
}
