package io.meshcap.merge;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * What one input contributed to a merge.
 *
 * @param input      the input
 * @param format     {@code pcap} or {@code pcapng}
 * @param packets    records read
 * @param bytes      captured bytes read (the sum of the records' data lengths)
 * @param firstNanos timestamp of the first record, if there was one
 * @param lastNanos  timestamp of the last record, if there was one
 * @param truncation how the file's last record was cut short, if it was
 * @param skipped    what the file holds that was passed over (blocks of unknown types), if anything
 */
public record InputSummary(MergeInput input, String format, long packets, long bytes, long firstNanos,
                           long lastNanos, Optional<String> truncation, Optional<String> skipped) {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Always nine fraction digits, so lines of different inputs line up and compare by eye. */
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

    /** One line for stderr, e.g. {@code a.pcap (pcap): 12 packets, 4800 bytes, 2026-...Z to 2026-...Z}. */
    public String describe() {
        String head = input.label() + (input.name() != null ? " (" + input.path() + ", " : " (") + format + "): "
                + packets + (packets == 1 ? " packet, " : " packets, ") + bytes + " bytes";
        return packets == 0 ? head : head + ", " + instant(firstNanos) + " to " + instant(lastNanos);
    }

    private static String instant(long nanos) {
        return TIME.format(Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND),
                Math.floorMod(nanos, NANOS_PER_SECOND)));
    }
}
