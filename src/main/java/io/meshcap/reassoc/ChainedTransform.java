package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.PacketView;
import io.meshcap.merge.RecordTransform;
import io.meshcap.packet.LinkLayer;
import io.meshcap.packet.TcpSegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-association followed by a second transform that sees the re-associated records, including those the
 * re-associator releases only at the end. A packet viewed in its reader's buffer is parsed once, for both.
 */
final class ChainedTransform implements RecordTransform {

    /** What follows re-association: it is handed the TCP segment re-association parsed, rewritten where it was. */
    interface Next extends RecordTransform {

        /**
         * {@link #pass(CaptureInterface, PacketView, List)} of a packet whose segment is parsed already.
         *
         * @param segment the packet's TCP segment ({@link #segment(CaptureInterface, PacketView, TcpSegment)}), or
         *                null when it has none; valid for this call only (the next packet is parsed into it)
         */
        boolean pass(CaptureInterface captureInterface, PacketView packet, TcpSegment segment,
                     List<CaptureRecord> before);
    }

    private final RedirectReassociator reassociator;
    private final Next next;
    private final PerInterface<CaptureInterface> interfaces = new PerInterface<>(captureInterface -> captureInterface);
    /** What the re-associator releases before a packet, reused from packet to packet. */
    private final List<CaptureRecord> released = new ArrayList<>();
    /** Each packet's segment, parsed into the same views. */
    private final TcpSegment packetSegment = TcpSegment.reusable();

    ChainedTransform(RedirectReassociator reassociator, Next next) {
        this.reassociator = reassociator;
        this.next = next;
    }

    @Override
    public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
        interfaces.get(record.interfaceId(), captureInterface);
        return passOn(reassociator.apply(captureInterface, record));
    }

    @Override
    public boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
        interfaces.get(packet.interfaceId(), captureInterface);
        TcpSegment segment = segment(captureInterface, packet, packetSegment);
        boolean writeNow = reassociator.pass(captureInterface, packet, segment, released);
        if (!released.isEmpty()) {
            before.addAll(passOn(released));
            released.clear();
        }
        return writeNow && next.pass(interfaceOf(packet.interfaceId()), packet, segment, before);
    }

    /**
     * The TCP segment of a packet viewed on {@code captureInterface}, parsed into {@code reused} (see {@link
     * TcpSegment#reparse}), or null when it has none.
     */
    static TcpSegment segment(CaptureInterface captureInterface, PacketView packet, TcpSegment reused) {
        int linkType = captureInterface.linkType();
        return LinkLayer.supports(linkType) ? reused.reparse(linkType, packet.bytes(), packet.offset(), packet.end())
                : null;
    }

    /** The TCP segment of a record on {@code captureInterface}, or null when it has none. */
    static TcpSegment segment(CaptureInterface captureInterface, CaptureRecord record) {
        int linkType = captureInterface.linkType();
        return LinkLayer.supports(linkType) ? TcpSegment.parse(linkType, record.data(), 0, record.capturedLength())
                : null;
    }

    /** What is left once the stream has ended. */
    List<CaptureRecord> finish() {
        return passOn(reassociator.finish());
    }

    private List<CaptureRecord> passOn(List<CaptureRecord> records) {
        if (records.isEmpty()) {
            return records;
        }
        if (records.size() == 1) {
            CaptureRecord only = records.get(0);
            return next.apply(interfaceOf(only.interfaceId()), only);
        }
        List<CaptureRecord> out = new ArrayList<>(records.size());
        for (CaptureRecord record : records) {
            out.addAll(next.apply(interfaceOf(record.interfaceId()), record));
        }
        return out;
    }

    /** The interface of an id: one a packet came on, or a re-associated one the re-associator declared. */
    private CaptureInterface interfaceOf(int id) {
        CaptureInterface reassociated = reassociator.reassociatedInterface(id);
        return reassociated != null ? reassociated : interfaces.get(id);
    }
}
