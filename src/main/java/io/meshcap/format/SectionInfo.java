package io.meshcap.format;

import java.util.List;

/**
 * What a capture file's section header says about the whole capture, besides the program that wrote it.
 *
 * @param comments the section's comments (opt_comment), in order
 * @param hardware shb_hardware, e.g. the capturing machine's CPU; may be {@code null}
 * @param os       shb_os, e.g. {@code Linux 6.1.0}; may be {@code null}
 */
public record SectionInfo(List<String> comments, String hardware, String os) {

    /** A section header that says nothing (every classic pcap file). */
    public static final SectionInfo NONE = new SectionInfo(List.of(), null, null);

    public SectionInfo {
        comments = List.copyOf(comments);
    }
}
