package io.meshcap.merge;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.PacketView;
import java.util.List;

/**
 * A hook on the merged stream, so later stages (REDIRECT re-association) work in the same pass. It sees
 * every record in output order, already carrying its output interface id, together with that output
 * interface, and returns what to write instead: usually the record itself, possibly rewritten or commented,
 * nothing to drop it, or several records. Emitted records must refer to output interfaces: the merge's, or ones the
 * transform declared on the output itself (re-association does), which the merge then leaves out of its own ids.
 *
 * <p>The record is handed over: a transform may rewrite its bytes in place rather than copy them (the merge reads
 * every record into an array of its own and does not look at it again).
 *
 * <p>The merge gives packets to {@link #pass} first, still in their reader's buffer: a transform that passes most
 * packets on (re-association, the stream table) overrides it to look at them there, and writes no object per packet.
 */
@FunctionalInterface
public interface RecordTransform {

    /** Writes every record unchanged. */
    RecordTransform NONE = new RecordTransform() {
        @Override
        public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
            return List.of(record);
        }

        @Override
        public boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
            return true;
        }
    };

    List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record);

    /**
     * {@link #apply} for a packet still in its reader's buffer, valid until the merge reads on. The transform may
     * change the packet there (its bytes, interface, options) and leave it for the merge to write, or keep a copy
     * ({@link PacketView#toRecord()}) to come out later. By default the packet is copied into a record and applied.
     *
     * @param before receives, in order, the records to write before the packet (what the transform releases)
     * @return whether to write {@code packet}, after {@code before}; false when the transform took it
     */
    default boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
        before.addAll(apply(captureInterface, packet.toRecord()));
        return false;
    }

    /**
     * A live stream's time has moved on: every record stamped before {@code timestampNanos} that comes in time has
     * been passed to {@link #apply} (a late one may still follow). Returns what the transform held back and may
     * write now, as if a record stamped then had come: a quiet stream must not keep its last packets back until it
     * ends. Holds nothing by default.
     */
    default List<CaptureRecord> advance(long timestampNanos) {
        return List.of();
    }
}
