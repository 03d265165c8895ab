package io.meshcap.merge;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import java.util.List;

/**
 * A hook on the merged stream, so later stages (REDIRECT re-association) work in the same pass. It sees
 * every record in output order, already carrying its output interface id, together with that output
 * interface, and returns what to write instead: usually the record itself, possibly rewritten or commented,
 * nothing to drop it, or several records. Emitted records must refer to output interfaces.
 *
 * <p>The record is handed over: a transform may rewrite its bytes in place rather than copy them (the merge reads
 * every record into an array of its own and does not look at it again).
 */
@FunctionalInterface
public interface RecordTransform {

    /** Writes every record unchanged. */
    RecordTransform NONE = (captureInterface, record) -> List.of(record);

    List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record);
}
