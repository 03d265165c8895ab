package io.meshcap.output;

/** What a scratch file beside an output is, as its name says ({@link ScratchName}). */
public enum ScratchKind {
    /** The output being written, renamed over the real one when complete. */
    OUTPUT("tmp"),
    /** A capture's spool directory: one pcap per leg, merged into the output at the end. */
    LEGS("legs"),
    /** A merge of many inputs in batches writes each batch to one of these first. */
    SPILL("spill");

    private final String tag;

    ScratchKind(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }

    static ScratchKind tagged(String tag) {
        for (ScratchKind kind : values()) {
            if (kind.tag.equals(tag)) {
                return kind;
            }
        }
        throw new IllegalArgumentException(tag);
    }
}
