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
 * @param refused why the disk refused the leg's file a write (it then holds the packets written before), or null
 */
public record SpooledLeg(LegPlan leg, Path file, long packets, long bytes, LegCapture.LegOutcome outcome,
        String refused) {

    /** True when the capturer failed or its file could not be written (as opposed to a stop or a limit). */
    public boolean failed() {
        return outcome.exitCode() != 0 || refused != null;
    }

    /** What went wrong, for the summary. */
    public String failure() {
        return refused != null ? refused : outcome.message();
    }
}
