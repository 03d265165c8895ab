package io.meshcap.reassoc;

import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.packet.TcpSegment;
import java.nio.file.Path;
import java.util.function.BiFunction;

/** Edits of real captures for tests: another link layer, a capture that starts mid-connection, port reuse. */
final class CaptureEdits {

    private CaptureEdits() {
    }

    /**
     * Copies a single-interface capture to pcapng, passing each record's data through {@code edit} (return null to
     * drop the record), with the interface's link type replaced by {@code linkType}.
     */
    static void copy(Path in, Path out, int linkType, BiFunction<Integer, byte[], byte[]> edit) {
        try (CaptureReader reader = CaptureFormats.open(in);
                CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            CaptureRecord record = reader.next();
            CaptureInterface original = reader.interfaces().get(0);
            writer.addInterface(new CaptureInterface(linkType, original.snapLength(), "lo", original.description()));
            for (; record != null; record = reader.next()) {
                byte[] data = edit.apply(original.linkType(), record.data());
                if (data != null) {
                    writer.write(new CaptureRecord(0, record.timestampNanos(),
                            record.originalLength() - record.data().length + data.length, data));
                }
            }
        }
    }

    /** The capture with another link layer (EN10MB to SLL, SLL2, RAW). */
    static void relink(Path in, Path out, int linkType) {
        copy(in, out, linkType, (from, data) -> Packets.relink(from, linkType, data));
    }

    /** The capture without any packet with SYN set: every connection starts mid-stream. */
    static void withoutHandshakes(Path in, Path out, int linkType) {
        copy(in, out, linkType, (from, data) -> {
            TcpSegment segment = TcpSegment.parse(from, data);
            return segment != null && segment.tcp().has(Packets.SYN) ? null : data;
        });
    }

    /**
     * The capture with every packet from or to {@code moved} carrying port {@code port} instead: a later connection
     * then reuses an earlier connection's source port.
     */
    static void movePort(Path in, Path out, int linkType, FlowEndpoint moved, int port) {
        copy(in, out, linkType, (from, data) -> {
            TcpSegment segment = TcpSegment.parse(from, data);
            if (segment == null) {
                return data;
            }
            int tcp = segment.tcp().offset();
            if (FlowEndpoint.of(segment.ip().source(), segment.tcp().sourcePort()).equals(moved)) {
                putPort(data, tcp, port);
            } else if (FlowEndpoint.of(segment.ip().destination(), segment.tcp().destinationPort()).equals(moved)) {
                putPort(data, tcp + 2, port);
            }
            return data;
        });
    }

    private static void putPort(byte[] data, int at, int port) {
        data[at] = (byte) (port >>> 8);
        data[at + 1] = (byte) port;
    }
}
