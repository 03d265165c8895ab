package io.meshcap.format;

/**
 * One captured packet, independent of the file format it came from or goes to.
 *
 * @param interfaceId    index into the interfaces of the stream the record belongs to
 * @param timestampNanos capture time, nanoseconds since the Unix epoch
 * @param originalLength length of the packet on the wire; larger than {@code data.length} when truncated
 * @param data           the captured bytes, starting at the link-layer header of the interface's link type
 * @param comment        a note meshcap attaches (pcapng opt_comment), or {@code null}
 */
public record CaptureRecord(int interfaceId, long timestampNanos, int originalLength, byte[] data, String comment) {

    public int capturedLength() {
        return data.length;
    }

    public CaptureRecord withInterfaceId(int id) {
        return new CaptureRecord(id, timestampNanos, originalLength, data, comment);
    }

    public CaptureRecord withComment(String text) {
        return new CaptureRecord(interfaceId, timestampNanos, originalLength, data, text);
    }
}
