package io.meshcap.capture;

import java.nio.file.Path;

/**
 * A leg whose capture has ended: its plan, the file it was spooled to, and how it went.
 *
 * @param leg     the plan
 * @param file    the spooled pcap file (0600), holding whole packets only
 * @param packets packets spooled
 * @param bytes   bytes spooled, file header included
 * @param outcome how the capturer ended
 */
public record SpooledLeg(LegPlan leg, Path file, long packets, long bytes, LegCapture.LegOutcome outcome) {

    /** True when the capturer failed (as opposed to being stopped or reaching a limit). */
    public boolean failed() {
        return outcome.exitCode() != 0;
    }
}
