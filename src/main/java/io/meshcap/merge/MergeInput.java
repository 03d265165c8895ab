package io.meshcap.merge;

import java.nio.file.Path;

/**
 * One file to merge, with how its interfaces should be labelled in the output.
 *
 * <p>Naming rule: when {@code name} is set, an input with one interface gets exactly that if_name, and an
 * input with several gets {@code name/original} (or {@code name/ifN} when the original has none). When
 * {@code name} is null, interfaces keep their own names, and nameless ones (every classic pcap) are named
 * after the file, so that each leg stays recognisable in Wireshark. "One interface" is judged when the
 * input's first interface is added to the output, at its first packet (or at the first other block, such as
 * decryption secrets, after its interfaces): a pcapng input that defines a second interface only later keeps
 * the plain label on its first one.
 *
 * @param path        the capture file
 * @param name        the leg's label, e.g. {@code reviews-v1-abc/eth0}; may be {@code null}
 * @param description replaces every interface's if_description (e.g. the leg's Kubernetes metadata);
 *                    {@code null} keeps the input's own
 */
public record MergeInput(Path path, String name, String description) {

    /** An input that keeps its interfaces' own labels. */
    public static MergeInput of(Path path) {
        return new MergeInput(path, null, null);
    }

    /** The name to show for this input in summaries and messages. */
    public String label() {
        return name != null ? name : path.toString();
    }
}
