package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshcap.testing.Tshark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A file read back by meshcap's own readers, and compared with what tshark reads from it. */
public final class ReadBack {

    private ReadBack() {
    }

    /** A record's comments as tshark's fields show them: joined by newlines, null when there is none. */
    public static String comment(CaptureRecord record) {
        List<String> comments = record.comments();
        return comments.isEmpty() ? null : String.join("\n", comments);
    }

    /** Every record of a file as meshcap reads it. */
    public static List<CaptureRecord> readAll(Path file) {
        try (CaptureReader reader = CaptureFormats.open(file)) {
            List<CaptureRecord> records = new ArrayList<>();
            for (CaptureRecord r = reader.next(); r != null; r = reader.next()) {
                records.add(r);
            }
            return records;
        }
    }

    /** Every block of a file (records, secrets, statistics, ...) in order, as meshcap reads them. */
    public static List<CaptureBlock> blocks(Path file) {
        try (CaptureReader reader = CaptureFormats.open(file)) {
            List<CaptureBlock> blocks = new ArrayList<>();
            for (CaptureBlock block = reader.nextBlock(); block != null; block = reader.nextBlock()) {
                blocks.add(block);
            }
            return blocks;
        }
    }

    /** Interfaces a file defines, as meshcap reads them (after reading every record). */
    public static List<CaptureInterface> interfaces(Path file) {
        try (CaptureReader reader = CaptureFormats.open(file)) {
            while (reader.next() != null) {
                // read to the end: pcapng may define interfaces anywhere
            }
            return reader.interfaces();
        }
    }

    /**
     * Asserts meshcap reads the same packets as tshark: count, nanosecond timestamps, lengths, comments and
     * interface names.
     */
    public static void assertSameAsTshark(Path file) {
        List<Tshark.Frame> frames = Tshark.frames(file);
        List<CaptureRecord> records = readAll(file);
        List<CaptureInterface> interfaces = interfaces(file);
        assertEquals(frames.size(), records.size(), () -> file + ": packet count; tshark saw " + frames);
        for (int i = 0; i < frames.size(); i++) {
            Tshark.Frame frame = frames.get(i);
            CaptureRecord record = records.get(i);
            String where = file + " packet " + (i + 1);
            assertEquals(frame.timestampNanos(), record.timestampNanos(), where + ": timestamp");
            assertEquals(frame.originalLength(), record.originalLength(), where + ": original length");
            assertEquals(frame.capturedLength(), record.capturedLength(), where + ": captured length");
            assertEquals(frame.comment(), comment(record), where + ": comment");
            String name = interfaces.get(record.interfaceId()).name();
            if (name != null || !"unknown".equals(frame.interfaceName())) {
                // pcapng interfaces without if_name are "unknown" to tshark; pcap ones have no name at all.
                assertEquals(frame.interfaceName(), name, where + ": interface name");
            }
        }
    }
}
