package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
import io.meshcap.format.BlockBuilder;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-association of whole files: the stream table of a raw lo capture, of one already re-associated, and of one cut
 * short; {@code reassociate}'s copy when a leg's interface comes after a re-associated one; {@code merge
 * --reassociate}'s output. Each file holds one redirected connection answered at once and, last, a SYN no reply
 * answered (held back to the end). tshark judges the files written.
 */
class ReassociationFilesTest {

    private static final FlowEndpoint APP = ep("198.18.0.2", 40000);
    private static final FlowEndpoint LATE = ep("198.18.0.2", 40001);
    private static final FlowEndpoint PORT_15001 = ep("127.0.0.1", 15001);
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);

    @TempDir
    Path dir;

    /** The packets of every file here, on lo, a microsecond apart from 1 ms. */
    private static final List<byte[]> LO_PACKETS = List.of(
            ip(APP, PORT_15001, SYN, 1000, 0),
            ip(ORIG, APP, SYN | ACK, 5000, 1001),
            ip(APP, PORT_15001, ACK, 1001, 5001),
            ip(LATE, PORT_15001, SYN, 3000, 0));

    private Path rawPcap(String name) throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN).pcapHeader(false, 65535, LinkType.EN10MB);
        for (int i = 0; i < LO_PACKETS.size(); i++) {
            byte[] frame = link(LinkType.EN10MB, LO_PACKETS.get(i));
            b.pcapRecord(0, 1000 + i, frame.length, frame);
        }
        return Files.write(dir.resolve(name), b.toByteArray());
    }

    private static List<String> describe(StreamTable table) {
        return table.streams().stream().map(s -> s.interfaceName() + " " + s.leg() + " " + s.client() + " > "
                + s.server() + " " + s.packetsToServer() + "/" + s.packetsToClient()).toList();
    }

    @Test
    void aRawLoCaptureGivesItsOriginalDestinationsAndTheSynHeldToTheEnd() throws IOException {
        Reassociation.FileStreams streams = Reassociation.streams(rawPcap("raw-lo.pcap"), RedirectPorts.istioDefaults());
        // The held SYN comes out with its SYN-ACK (two records at once), the last SYN only at the end.
        assertEquals(List.of("raw-lo.pcap outbound-plain 198.18.0.2:40000 > 198.18.0.1:8080 2/1",
                "raw-lo.pcap redirected 198.18.0.2:40001 > 127.0.0.1:15001 1/0"), describe(streams.table()));
        assertTrue(streams.truncation().isEmpty(), streams.truncation()::toString);
    }

    @Test
    void aFileCutShortSaysSoAndKeepsTheConnectionsBeforeTheCut() throws IOException {
        Path whole = rawPcap("whole.pcap");
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.pcap"), Arrays.copyOf(bytes, bytes.length - 10));
        Reassociation.FileStreams streams = Reassociation.streams(cut, RedirectPorts.istioDefaults());
        assertTrue(streams.truncation().isPresent());
        assertEquals(List.of("cut.pcap outbound-plain 198.18.0.2:40000 > 198.18.0.1:8080 2/1"), describe(streams.table()));
    }

    /**
     * A leg declared after another leg's packets were re-associated gets an id past the re-associated interface;
     * its packets follow it there. An already re-associated file gives the same stream table as the raw one.
     */
    @Test
    void reassociateRenumbersALaterLegAndItsOutputGivesTheSameStreams() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb().idb(LinkType.EN10MB, 0, b.option(2, "pod/lo"));
        for (int i = 0; i < 3; i++) {
            byte[] frame = link(LinkType.EN10MB, LO_PACKETS.get(i));
            b.epb(0, 1000 + i, frame.length, frame);
        }
        byte[] upstream = link(LinkType.EN10MB, ip(ep("198.18.0.2", 41000), ORIG, SYN, 7000, 0));
        Arrays.fill(upstream, 0, 12, (byte) 0x02);
        b.idb(LinkType.EN10MB, 0, b.option(2, "pod/eth0")).epb(1, 1003, upstream.length, upstream);
        byte[] late = link(LinkType.EN10MB, LO_PACKETS.get(3));
        b.epb(0, 1004, late.length, late);
        Path in = Files.write(dir.resolve("legs.pcapng"), b.toByteArray());
        Path out = dir.resolve("reassociated.pcapng");
        try (CaptureReader reader = CaptureFormats.open(in);
             CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            assertEquals(new ReassociationStats(2, 2, 1, 0), Reassociation.copy(reader, "legs.pcapng", writer,
                    RedirectPorts.istioDefaults(), false));
        }
        assertEquals(List.of(
                        List.of("pod/lo (re-associated)", "198.18.0.1", "8080"),
                        List.of("pod/lo", "198.18.0.2", "40000"),
                        List.of("pod/lo (re-associated)", "198.18.0.1", "8080"),
                        List.of("pod/eth0", "198.18.0.1", "8080"),
                        List.of("pod/lo", "127.0.0.1", "15001")),
                Tshark.fields(out, null, "frame.interface_name", "ip.dst", "tcp.dstport"));
        assertEquals(List.of("pod/lo outbound-plain 198.18.0.2:40000 > 198.18.0.1:8080 2/1",
                        "pod/eth0 outbound-mtls 198.18.0.2:41000 > 198.18.0.1:8080 1/0",
                        "pod/lo redirected 198.18.0.2:40001 > 127.0.0.1:15001 1/0"),
                describe(Reassociation.streams(out, RedirectPorts.istioDefaults()).table()));
    }

    @Test
    void mergeReassociateWritesTheSynHeldToTheEnd() throws IOException {
        Path out = dir.resolve("merged.pcapng");
        CliRun merge = CliRun.of("merge", "--reassociate", rawPcap("lo.pcap").toString(), "-o", out.toString());
        assertEquals(0, merge.exitCode(), merge::toString);
        assertEquals(List.of(List.of("198.18.0.1", "8080"), List.of("198.18.0.2", "40000"), List.of("198.18.0.1", "8080"),
                        List.of("127.0.0.1", "15001")),
                Tshark.fields(out, null, "ip.dst", "tcp.dstport"));
    }
}
