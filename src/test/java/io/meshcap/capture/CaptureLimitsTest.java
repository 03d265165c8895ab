package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshcap.MeshcapException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The limits a user sets: what is refused (a usage error, exit 2, in the flags' own words) and how the plan states
 * what ends each leg, in exact units whatever unit the user wrote.
 */
class CaptureLimitsTest {

    private static void refused(String message, Runnable limits) {
        MeshcapException e = assertThrows(MeshcapException.class, limits::run);
        assertEquals(message, e.getMessage());
        assertEquals(2, e.exitCode());
    }

    @Test
    void impossibleLimitsAreUsageErrorsNamingTheFlag() {
        refused("--duration must be positive", () -> new CaptureLimits(Duration.ZERO, 0, 0, 0));
        refused("--duration must be positive", () -> new CaptureLimits(Duration.ofSeconds(-1), 0, 0, 0));
        refused("--count and --max-size must not be negative", () -> new CaptureLimits(null, -1, 0, 0));
        refused("--count and --max-size must not be negative", () -> new CaptureLimits(null, 0, -1, 0));
        refused("--ring must be at least 1", () -> new CaptureLimits(null, 0, 1 << 20, 0, 0));
        refused("--ring needs --max-size: the size of each file in the ring", () -> new CaptureLimits(null, 0, 0, 0, 2));
        refused("--snaplen must be between 0 (whole packets) and 262144", () -> new CaptureLimits(null, 0, 0, -1));
        refused("--snaplen must be between 0 (whole packets) and 262144", () -> new CaptureLimits(null, 0, 0, 262145));
    }

    @Test
    void theLimitsAtTheirEdgesAreAccepted() {
        assertEquals(262144, new CaptureLimits(Duration.ofMillis(1), 0, 0, 262144).effectiveSnapLength());
        assertEquals(96, new CaptureLimits(null, 0, 0, 96).effectiveSnapLength());
        assertEquals(262144, CaptureLimits.none().effectiveSnapLength(), "0 keeps whole packets");
        assertEquals(2, new CaptureLimits(null, 0, 1, 0, 2).ringFiles());
    }

    @Test
    void thePlanSaysWhatEndsEachLegInExactUnits() {
        assertEquals("on Ctrl-C", CaptureLimits.none().describe());
        assertEquals("after 300 s (counted once every leg listens), after 7 packets, at 104857600 bytes (100.0 MB)"
                + " per leg", new CaptureLimits(Duration.ofMinutes(5), 7, 104_857_600, 0).describe());
        assertEquals("after 250 ms (counted once every leg listens) per leg",
                new CaptureLimits(Duration.ofMillis(250), 0, 0, 0).describe());
        assertEquals("after 1 packets per leg", new CaptureLimits(null, 1, 0, 0).describe());
        assertEquals("on Ctrl-C; keeps the newest 3 files of 512000 bytes (500.0 KB) per leg",
                new CaptureLimits(null, 0, 512_000, 0, 3).describe());
        assertEquals("after 9 packets; keeps the newest 2 files of 65536 bytes (64.0 KB) per leg",
                new CaptureLimits(null, 9, 65_536, 0, 2).describe());
    }

    @Test
    void aDurationIsShownInSecondsOrInMillisecondsWhenItHasAFraction() {
        assertEquals("7200 s", CaptureLimits.describe(Duration.ofHours(2)));
        assertEquals("1500 ms", CaptureLimits.describe(Duration.ofMillis(1500)));
        assertEquals("1 ms", CaptureLimits.describe(Duration.ofMillis(1)));
    }
}
