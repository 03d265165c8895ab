package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.BlockBuilder;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.merge.MergeInput;
import io.meshcap.merge.Merger;
import io.meshcap.testing.Tshark;
import io.meshcap.tls.KeyLog;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshcap merge --reassociate} with its packets left in the readers' buffers until written: two inputs (a
 * big-endian pcap and a little-endian pcapng) whose requests are larger than an eighth of the smallest read buffer,
 * so that the merge alternates between inputs while each one's next packet spans refills of its own buffer, come out
 * in time order with the original destinations, good checksums and the comments of both passes, as tshark reads them.
 */
class MergeInReadBuffersTest {

    private static final FlowEndpoint PORT_15001 = ep("127.0.0.1", 15001);
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);
    private static final int REQUESTS = 24;
    /** Larger than 64 KiB (the smallest read buffer) / 8: every few packets a request spans a refill. */
    private static final int PAYLOAD = 9000;

    @TempDir
    Path dir;

    @Test
    void packetsFromBothInputsAreRewrittenWhereTheyLie() throws IOException {
        Path a = input("a.pcap", ep("198.18.0.2", 40000), 0, false);
        Path b = input("b.pcapng", ep("198.18.0.3", 41000), 5, true);
        Path out = dir.resolve("out.pcapng");
        try (CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            Reassociation.Outcome outcome = Reassociation.merge(new Merger(dir), List.of(MergeInput.of(a),
                    MergeInput.of(b)), writer, RedirectPorts.istioDefaults(), false, true, KeyLog.empty());
            assertEquals(2, outcome.stats().connections());
        }
        List<List<String>> frames = Tshark.fields(out, null, "tcp.srcport", "ip.dst", "tcp.dstport",
                "frame.time_epoch");
        assertEquals(2 * (REQUESTS + 3), frames.size());
        List<String> times = new ArrayList<>(frames.stream().map(frame -> frame.get(3)).toList());
        List<String> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        assertEquals(sorted, times, "in time order across both inputs");
        for (List<String> frame : frames) {
            boolean request = frame.get(0).equals("40000") || frame.get(0).equals("41000");
            assertEquals(request ? List.of("198.18.0.1", "8080") : List.of(frame.get(1), frame.get(2)),
                    frame.subList(1, 3), "requests carry the original destination: " + frame);
        }
        List<List<String>> checksums = Tshark.query(out, "tcp.dstport == 8080", List.of("-o",
                "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"), "ip.checksum.status",
                "tcp.checksum.status");
        assertEquals(2 * (REQUESTS + 2), checksums.size());
        assertTrue(checksums.stream().allMatch(status -> status.equals(List.of("1", "1"))),
                "IPv4 and TCP checksums good (status 1) on every rewritten request: " + checksums);
        List<List<String>> commented = Tshark.fields(out, "frame.comment", "tcp.srcport", "tcp.flags.syn");
        assertEquals(List.of(List.of("40000", "1"), List.of("41000", "1")), commented,
                "each connection's first packet (its SYN, held until its SYN-ACK) carries the comments");
    }

    /** A lo capture of one redirected connection: its handshake, then requests of {@link #PAYLOAD} bytes. */
    private Path input(String name, FlowEndpoint app, long offsetMicros, boolean pcapng) throws IOException {
        List<byte[]> frames = new ArrayList<>();
        frames.add(link(LinkType.EN10MB, ip(app, PORT_15001, SYN, 1000, 0)));
        frames.add(link(LinkType.EN10MB, ip(ORIG, app, SYN | ACK, 5000, 1001)));
        frames.add(link(LinkType.EN10MB, ip(app, PORT_15001, ACK, 1001, 5001)));
        for (int i = 0; i < REQUESTS; i++) {
            long sequence = 1001 + (long) i * PAYLOAD;
            frames.add(link(LinkType.EN10MB, ip(app, PORT_15001, ACK, sequence, 5001, new byte[PAYLOAD])));
        }
        BlockBuilder builder = new BlockBuilder(pcapng ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        if (pcapng) {
            builder.shb().idb(LinkType.EN10MB, 0);
        } else {
            builder.pcapHeader(false, 65_535, LinkType.EN10MB);
        }
        for (int i = 0; i < frames.size(); i++) {
            byte[] frame = frames.get(i);
            long micros = 1_000 + 10L * i + offsetMicros;
            if (pcapng) {
                builder.epb(0, micros, frame.length, frame);
            } else {
                builder.pcapRecord(0, micros, frame.length, frame);
            }
        }
        return Files.write(dir.resolve(name), builder.toByteArray());
    }
}
