package io.meshcap.cli;

import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.ReadBack;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.reassoc.FlowEndpoint;
import io.meshcap.reassoc.Packets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshcap reassociate} and {@code merge --reassociate} as a user runs them, on a small hand-built lo capture. */
class ReassociateCommandTest {

    private static final FlowEndpoint APP = ep("198.18.0.2", 40000);
    private static final FlowEndpoint ORIG = ep("198.18.0.1", 8080);
    /** What re-associating {@link #handshake} says: its SYN rewritten, the SYN-ACK already un-NATed by the kernel. */
    private static final String REASSOCIATED = "re-associated 1 packet of 1 redirected connection; 0 left unchanged"
            + " (original destination unknown)";

    @TempDir
    Path dir;

    /** SYN to 127.0.0.1:{@code port}, then the SYN-ACK from the original destination. */
    static Path handshake(Path file, int port) {
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, "test")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, null, null));
            writer.write(Packets.record(0, 0, link(LinkType.EN10MB, ip(APP, ep("127.0.0.1", port), SYN, 1, 0))));
            writer.write(Packets.record(0, 5, link(LinkType.EN10MB, ip(ORIG, APP, SYN | ACK, 9, 2))));
        }
        return file;
    }

    static List<CaptureRecord> records(Path file) {
        List<CaptureRecord> records = new ArrayList<>();
        try (CaptureReader reader = CaptureFormats.open(file)) {
            for (CaptureRecord record = reader.next(); record != null; record = reader.next()) {
                records.add(record);
            }
        }
        return records;
    }

    @Test
    void aCaptureWithoutRedirectedConnectionsIsCopiedAndSaysNothingNeededIt() throws Exception {
        Path out = dir.resolve("plain.pcapng");
        CliRun run = CliRun.of("reassociate", handshake(dir.resolve("eth0.pcap"), 8443).toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("no connection to a REDIRECT port was captured, so nothing needed re-associating",
                run.err().strip());
        assertEquals(2, records(out).size());
    }

    @Test
    void rewritesTheRequestDirectionAndSaysSo() throws Exception {
        Path out = dir.resolve("out.pcapng");
        CliRun run = CliRun.of("reassociate", handshake(dir.resolve("lo.pcap"), 15001).toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("re-associated 1 packet of 1 redirected connection; 0 left unchanged (original destination"
                + " unknown)", run.err().strip());
        List<CaptureRecord> records = records(out);
        assertEquals(2, records.size());
        assertTrue(ReadBack.comment(records.get(0)).contains("rewritten to 198.18.0.1:8080"), ReadBack.comment(records.get(0)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }

    @Test
    void keepOriginalAndAnotherOutboundPort() {
        Path out = dir.resolve("out.pcapng");
        CliRun run = CliRun.of("reassociate", "--keep-original", "--outbound-port", "15101",
                handshake(dir.resolve("lo.pcap"), 15101).toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        List<CaptureRecord> records = records(out);
        assertEquals(3, records.size());
        assertTrue(ReadBack.comment(records.get(0)).contains("--keep-original"));
    }

    @Test
    void mistakesAreUsageErrorsOnOneLine() {
        Path in = handshake(dir.resolve("lo.pcap"), 15001);
        for (String[] args : List.of(
                new String[] {"reassociate", in.toString(), "-o", dir.resolve("x").toString(), "--outbound-port", "0"},
                new String[] {"reassociate", in.toString(), "-o", dir.resolve("x").toString(), "--outbound-port",
                    "15006"},
                new String[] {"reassociate", in.toString(), "-o", in.toString()})) {
            CliRun run = CliRun.of(args);
            assertEquals(2, run.exitCode(), run::toString);
            assertEquals(1, run.err().lines().count(), run::toString);
        }
        CliRun missing = CliRun.of("reassociate", dir.resolve("nope.pcap").toString(), "-o", dir.resolve("x").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("no such file"), missing::toString);
    }

    @Test
    void mergeSaysWhatItReassociatedAndWhatTheStreamCommentsJoined() {
        Path in = handshake(dir.resolve("lo.pcap"), 15001);
        CliRun commented = CliRun.of("merge", "--reassociate", in.toString(), "-o", dir.resolve("a.pcapng").toString());
        assertEquals(0, commented.exitCode(), commented::toString);
        assertTrue(commented.err().lines().anyMatch(line -> line.equals(REASSOCIATED
                + "; 0 calls joined across legs, 0 ambiguous (meshcap streams lists them)")), commented::toString);
        CliRun uncommented = CliRun.of("merge", "--reassociate", "--no-stream-comments", in.toString(), "-o",
                dir.resolve("b.pcapng").toString());
        assertEquals(0, uncommented.exitCode(), uncommented::toString);
        assertTrue(uncommented.err().lines().anyMatch(line -> line.equals(REASSOCIATED)), uncommented::toString);
    }

    @Test
    void theHighestPortIsAnOutboundPort() {
        CliRun run = CliRun.of("reassociate", handshake(dir.resolve("lo.pcap"), 65535).toString(), "-o",
                dir.resolve("out.pcapng").toString(), "--outbound-port", "65535");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("re-associated 1 packet of 1 redirected connection"), run::toString);
    }

    @Test
    void mergeReassociatesOnlyWhenAsked() {
        Path in = handshake(dir.resolve("lo.pcap"), 15001);
        Path plain = dir.resolve("plain.pcapng");
        assertEquals(0, CliRun.of("merge", in.toString(), "-o", plain.toString()).exitCode());
        assertEquals(null, ReadBack.comment(records(plain).get(0)));
        Path reassociated = dir.resolve("reassociated.pcapng");
        CliRun run = CliRun.of("merge", "--reassociate", in.toString(), "-o", reassociated.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("re-associated 1 packet of 1 redirected connection"), run::toString);
        String comment = ReadBack.comment(records(reassociated).get(0));
        assertTrue(comment.contains("rewritten to 198.18.0.1:8080") && comment.contains("meshcap stream 0: "
                + "198.18.0.2:40000 > 198.18.0.1:8080 (lo.pcap, outbound-plain)"), comment);
    }

    @Test
    void reassociationOptionsWithoutReassociateAreUsageErrors() {
        Path in = handshake(dir.resolve("lo.pcap"), 15001);
        for (String option : List.of("--keep-original", "--no-stream-comments")) {
            CliRun run = CliRun.of("merge", option, in.toString(), "-o", dir.resolve("x.pcapng").toString());
            assertEquals(2, run.exitCode(), run::toString);
            assertEquals("meshcap: " + option + " only applies to re-association: add --reassociate",
                    run.err().strip());
        }
    }

    @Test
    void helpExplainsWithExamples() {
        CliRun run = CliRun.of("reassociate", "--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("--keep-original") && run.out().contains("--outbound-port")
                && run.out().contains("Examples:"), run.out());
        assertTrue(CliRun.of("merge", "--help").out().contains("--reassociate"));
    }
}
