package io.meshcap.format.pcapng;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** What a reader passed over in one file, told once for the whole file rather than once per block. */
final class SkippedBlocks {

    /** How many of one kind, and where the first was. */
    private static final class Seen {
        final long firstOffset;
        int count;

        Seen(long firstOffset) {
            this.firstOffset = firstOffset;
        }
    }

    private final Map<String, Seen> blocks = new LinkedHashMap<>();
    private int options;

    /** A block of the kind described, e.g. {@code of unknown type 0x80000001}, at {@code offset} in the file. */
    void block(String kind, long offset) {
        blocks.computeIfAbsent(kind, k -> new Seen(offset)).count++;
    }

    /** An option of a big-endian section whose layout is unknown, so it cannot be carried. */
    void option() {
        options++;
    }

    Optional<String> describe(String source) {
        if (blocks.isEmpty() && options == 0) {
            return Optional.empty();
        }
        String what = blocks.entrySet().stream()
                .map(e -> e.getValue().count + (e.getValue().count == 1 ? " block " : " blocks ") + e.getKey()
                        + (e.getValue().count == 1 ? " at offset " : " (the first at offset ")
                        + e.getValue().firstOffset + (e.getValue().count == 1 ? "" : ")"))
                .collect(Collectors.joining(", "));
        String unconverted = options == 0 ? "" : options + (options == 1 ? " option" : " options")
                + " of unknown layout in a big-endian section";
        return Optional.of(source + ": skipped what meshcap does not know or carry: " + what
                + (what.isEmpty() || unconverted.isEmpty() ? "" : ", ") + unconverted);
    }
}
