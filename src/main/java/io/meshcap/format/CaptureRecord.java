package io.meshcap.format;

import java.util.List;
import java.util.Objects;

/**
 * One captured packet, independent of the file format it came from or goes to.
 *
 * @param interfaceId    index into the interfaces of the stream the record belongs to
 * @param timestampNanos capture time, nanoseconds since the Unix epoch
 * @param originalLength length of the packet on the wire; larger than {@code data.length} when truncated
 * @param data           the captured bytes, starting at the link-layer header of the interface's link type
 * @param options        the packet's comments (each its own opt_comment), flags, hash, drop count and other options
 */
public record CaptureRecord(int interfaceId, long timestampNanos, int originalLength, byte[] data,
                            RawOptions options) implements CaptureBlock {

    public CaptureRecord {
        Objects.requireNonNull(options, "options (RawOptions.NONE for none)");
    }

    /** A packet without options. */
    public CaptureRecord(int interfaceId, long timestampNanos, int originalLength, byte[] data) {
        this(interfaceId, timestampNanos, originalLength, data, RawOptions.NONE);
    }

    public int capturedLength() {
        return data.length;
    }

    /** The packet's comments, in order; several comments stay apart. */
    public List<String> comments() {
        return options.strings(RawOptions.COMMENT);
    }

    public CaptureRecord withInterfaceId(int id) {
        return new CaptureRecord(id, timestampNanos, originalLength, data, options);
    }

    /** The same packet with other bytes (a rewritten header), keeping its options. */
    public CaptureRecord withData(byte[] bytes) {
        return new CaptureRecord(interfaceId, timestampNanos, originalLength, bytes, options);
    }

    /**
     * The same packet with more options after those it has, e.g. a comment a stage encoded once and attaches to many
     * packets: for a packet without options of its own the encoded bytes are shared, not copied. No options: this
     * record itself.
     */
    public CaptureRecord plusOptions(RawOptions more) {
        if (more.isEmpty()) {
            return this;
        }
        return new CaptureRecord(interfaceId, timestampNanos, originalLength, data, options.plus(more));
    }

    /** The same packet with one more comment after those it has (e.g. a note meshcap attaches). */
    public CaptureRecord plusComment(String text) {
        return new CaptureRecord(interfaceId, timestampNanos, originalLength, data,
                options.plus(RawOptions.COMMENT, text));
    }
}
