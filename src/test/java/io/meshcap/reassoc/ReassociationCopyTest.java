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
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code meshcap reassociate}'s one pass over a file ({@link Reassociation#copy}): the packets re-associated, and
 * everything else the file holds carried as it stands (the section's comment, a key log before the packets, an
 * interface defined after the last packet), judged by tshark and capinfos.
 */
class ReassociationCopyTest {

    private static final FlowEndpoint APP = ep("198.18.0.2", 40000);
    private static final FlowEndpoint PORT_15001 = ep("127.0.0.1", 15001);
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);

    @TempDir
    Path dir;

    @Test
    void packetsAreReassociatedAndEveryOtherBlockIsCarried() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb(b.option(1, "lab capture"))
                .idb(LinkType.EN10MB, 0, b.option(2, "pod/lo"))
                .dsb(0x544c534b, "CLIENT_RANDOM 00 11\n".getBytes(StandardCharsets.US_ASCII))
                .epb(0, 1_000, 54, link(LinkType.EN10MB, ip(APP, PORT_15001, SYN, 1000, 0)))
                .epb(0, 1_010, 54, link(LinkType.EN10MB, ip(ORIG, APP, SYN | ACK, 5000, 1001)))
                .epb(0, 1_020, 54, link(LinkType.EN10MB, ip(APP, PORT_15001, ACK, 1001, 5001)))
                .idb(LinkType.EN10MB, 0, b.option(2, "pod/eth0"));
        Path in = Files.write(dir.resolve("in.pcapng"), b.toByteArray());
        Path out = dir.resolve("out.pcapng");
        try (CaptureReader reader = CaptureFormats.open(in);
             CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            assertEquals(1, Reassociation.copy(reader, "in.pcapng", writer, RedirectPorts.istioDefaults(), false).connections());
        }
        assertEquals(List.of(List.of("198.18.0.2", "40000", "198.18.0.1", "8080", "0.001000000"),
                        List.of("198.18.0.1", "8080", "198.18.0.2", "40000", "0.001010000"),
                        List.of("198.18.0.2", "40000", "198.18.0.1", "8080", "0.001020000")),
                Tshark.fields(out, null, "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "frame.time_epoch"));
        List<String> info = Tshark.run("capinfos", out.toString()).lines().map(String::trim).toList();
        for (String line : List.of("Capture comment:     lab capture", "Name = pod/lo", "Name = pod/eth0",
                "Number of decryption secrets in file: 1")) {
            assertTrue(info.contains(line), "capinfos shows no '" + line + "' in " + info);
        }
    }

    /**
     * Packets are rewritten where they lie in the reader's buffer: read through a buffer smaller than a packet (every
     * one spans a refill), from pcap and pcapng of both byte orders, the requests carry the original destination
     * with checksums tshark validates, and the SYN held until its SYN-ACK comes out in its place.
     */
    @ParameterizedTest(name = "pcapng: {0}, big-endian: {1}")
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void packetsRewrittenInTheReadBufferAcrossRefills(boolean pcapng, boolean bigEndian) throws IOException {
        BlockBuilder b = new BlockBuilder(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        List<byte[]> frames = List.of(link(LinkType.EN10MB, ip(APP, PORT_15001, SYN, 1000, 0)),
                link(LinkType.EN10MB, ip(ORIG, APP, SYN | ACK, 5000, 1001)),
                link(LinkType.EN10MB, ip(APP, PORT_15001, ACK, 1001, 5001, new byte[100])),
                link(LinkType.EN10MB, ip(APP, PORT_15001, ACK, 1101, 5001, new byte[1400])),
                link(LinkType.EN10MB, ip(ORIG, APP, ACK, 5001, 2501)));
        if (pcapng) {
            b.shb().idb(LinkType.EN10MB, 0);
        } else {
            b.pcapHeader(false, 65_535, LinkType.EN10MB);
        }
        for (int i = 0; i < frames.size(); i++) {
            byte[] frame = frames.get(i);
            if (pcapng) {
                b.epb(0, 1_000 + 10 * i, frame.length, frame);
            } else {
                b.pcapRecord(0, 1_000 + 10 * i, frame.length, frame);
            }
        }
        Path in = Files.write(dir.resolve(pcapng ? "in.pcapng" : "in.pcap"), b.toByteArray());
        Path out = dir.resolve("out.pcapng");
        try (CaptureReader reader = CaptureFormats.open(in, 32);
             CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            Reassociation.copy(reader, "in", writer, RedirectPorts.istioDefaults(), false);
        }
        List<String> request = List.of("198.18.0.2", "40000", "198.18.0.1", "8080");
        List<String> reply = List.of("198.18.0.1", "8080", "198.18.0.2", "40000");
        assertEquals(List.of(request, reply, request, request, reply),
                Tshark.fields(out, null, "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport"));
        assertEquals(List.of("0.001000000", "0.001010000", "0.001020000", "0.001030000", "0.001040000"),
                Tshark.fields(out, null, "frame.time_epoch").stream().map(row -> row.get(0)).toList());
        assertEquals(List.of(List.of("1", "1"), List.of("1", "1"), List.of("1", "1")),
                Tshark.query(out, "tcp.dstport == 8080", List.of("-o", "ip.check_checksum:TRUE", "-o",
                        "tcp.check_checksum:TRUE"), "ip.checksum.status", "tcp.checksum.status"),
                "IPv4 and TCP checksums of the rewritten requests are good (status 1; 0 is bad)");
    }
}
