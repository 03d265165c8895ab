package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.PacketView;
import io.meshcap.format.RawOptions;
import io.meshcap.packet.TcpSegment;
import java.util.List;
import java.util.Map;

/**
 * Adds {@link StreamTable#firstPacketComments()} to a second pass over the same record stream the table was built
 * from: the stream is deterministic, so positions match. The positions are walked in order, so a packet without a
 * comment costs one comparison.
 */
final class FirstPacketComments implements ChainedTransform.Next {

    private final long[] positions;
    private final RawOptions[] comments;
    private int next;
    private long position;

    FirstPacketComments(Map<Long, String> comments) {
        this.positions = comments.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        this.comments = new RawOptions[positions.length];
        for (int i = 0; i < positions.length; i++) {
            this.comments[i] = RawOptions.NONE.plus(RawOptions.COMMENT, comments.get(positions[i]));
        }
    }

    @Override
    public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
        return List.of(record.plusOptions(nextComment()));
    }

    @Override
    public boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
        packet.addOptions(nextComment());
        return true;
    }

    @Override
    public boolean pass(CaptureInterface captureInterface, PacketView packet, TcpSegment segment,
                        List<CaptureRecord> before) {
        return pass(captureInterface, packet, before);
    }

    /** The comment of the packet at the next position, or none. */
    private RawOptions nextComment() {
        long at = position++;
        if (next == positions.length || positions[next] != at) {
            return RawOptions.NONE;
        }
        return comments[next++];
    }
}
