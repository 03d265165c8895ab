package io.meshcap.tls;

import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.packet.TcpHeader;
import io.meshcap.packet.TcpSegment;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs meshcap's reassembly and decryption over the one TLS connection of a capture file, the way the stream table
 * does, and collects what each side sent. The segments can be reordered or repeated on the way in, to try the
 * reassembly on real packets in orders the capture itself does not show.
 */
final class CaptureDecryption {

    /** Enough for every test capture; the stream table uses its own bound. */
    private static final int MAX_HELD = 1 << 20;

    /** One TCP segment of the capture, as read. */
    record Segment(boolean fromClient, TcpSegment segment, byte[] data, long timestampNanos) {
    }

    /** What meshcap decrypted. */
    record Result(byte[] client, byte[] server, TlsReport report) {
    }

    private CaptureDecryption() {
    }

    /** Every TCP segment of {@code capture}, told apart by the server's port. */
    static List<Segment> segments(Path capture, int serverPort) {
        List<Segment> segments = new ArrayList<>();
        try (CaptureReader reader = CaptureFormats.open(capture)) {
            for (CaptureRecord record = reader.next(); record != null; record = reader.next()) {
                int linkType = reader.interfaces().get(record.interfaceId()).linkType();
                TcpSegment segment = TcpSegment.parse(linkType, record.data());
                if (segment != null) {
                    segments.add(new Segment(segment.tcp().destinationPort() == serverPort, segment, record.data(),
                            record.timestampNanos()));
                }
            }
        }
        return segments;
    }

    static Result decrypt(Path capture, int serverPort, KeyLog keys) {
        return decrypt(capture, serverPort, keys, UnaryOperator.identity());
    }

    /** Decrypts both sides, feeding the segments in the order {@code order} makes of the capture's. */
    static Result decrypt(Path capture, int serverPort, KeyLog keys, UnaryOperator<List<Segment>> order) {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        ByteArrayOutputStream server = new ByteArrayOutputStream();
        TlsSession session = new TlsSession(() -> keys, (sender, data, from, to, timestamp) ->
                (sender == TlsSession.Side.CLIENT ? client : server).write(data, from, to - from), true, true);
        StreamReassembler fromClient = new StreamReassembler(MAX_HELD, session.from(TlsSession.Side.CLIENT));
        StreamReassembler fromServer = new StreamReassembler(MAX_HELD, session.from(TlsSession.Side.SERVER));
        for (Segment each : order.apply(segments(capture, serverPort))) {
            StreamReassembler side = each.fromClient() ? fromClient : fromServer;
            TcpHeader tcp = each.segment().tcp();
            if (tcp.has(TcpHeader.SYN)) {
                side.syn(tcp.sequence());
            }
            side.segment(tcp.sequence(), each.data(), each.segment().payloadFrom(), each.segment().payloadTo(),
                    each.segment().payloadLength(), each.timestampNanos());
        }
        fromClient.finish();
        fromServer.finish();
        return new Result(client.toByteArray(), server.toByteArray(), session.report());
    }
}
