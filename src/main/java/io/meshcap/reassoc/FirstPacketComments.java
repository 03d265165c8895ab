package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.merge.RecordTransform;
import java.util.List;
import java.util.Map;

/**
 * Adds {@link StreamTable#firstPacketComments()} to a second pass over the same record stream the table was built
 * from: the stream is deterministic, so positions match.
 */
final class FirstPacketComments implements RecordTransform {

    private final Map<Long, String> comments;
    private long position;

    FirstPacketComments(Map<Long, String> comments) {
        this.comments = comments;
    }

    @Override
    public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
        String comment = comments.get(position++);
        if (comment == null) {
            return List.of(record);
        }
        return List.of(record.plusComment(comment));
    }
}
