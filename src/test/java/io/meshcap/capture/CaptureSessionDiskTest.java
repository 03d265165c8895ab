package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.format.OutputFormat;
import io.meshcap.output.OutputTarget;
import io.meshcap.testing.RandomCapture;
import io.meshcap.testing.SmallTmpfs;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture that fails on the way, in this JVM: a disk that fills (a small tmpfs), a leg that cannot start, a key log
 * that is gone. Legs replay a pcap file written beforehand; capinfos counts what was kept.
 */
@Timeout(120)
class CaptureSessionDiskTest {

    /** About 90 KB of frames: a leg that fits on a 128 KiB disk, beside which its merged copy does not. */
    private static final int PACKETS = 500;

    @TempDir
    Path dir;

    private byte[] legBytes;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void writeLeg() throws IOException {
        legBytes = Files.readAllBytes(RandomCapture.write(dir.resolve("leg.pcap"), OutputFormat.PCAP, PACKETS, 7));
    }

    private static LegPlan leg(String iface) {
        return new LegPlan("shop/reviews", iface, "inbound-plain", "tcp", false, CaptureLimits.none(), Map.of());
    }

    private CaptureSession.Result capture(CaptureSource source, List<LegPlan> legs, Path output)
            throws InterruptedException {
        try (StopSignal stop = StopSignal.manual()) {
            return new CaptureSession(source, new PrintWriter(err, true), false)
                    .run(legs, OutputTarget.of(output.toString()), null, false, null, stop, null);
        }
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    @Test
    void aMergeThatRunsOutOfSpaceKeepsTheLegsAndSaysHowToMergeThem() throws Exception {
        try (SmallTmpfs disk = SmallTmpfs.mount(dir, "disk", "size=128k")) {
            Path out = disk.resolve("out.pcapng");

            MeshcapException failure = assertThrows(MeshcapException.class,
                    () -> capture(ReplayingSource.of(legBytes), List.of(leg("lo")), out));

            Path legs = disk.resolve("out.pcapng.legs");
            List<Path> kept = list(legs);
            assertEquals(1, kept.size(), kept.toString());
            assertEquals(PACKETS, Tshark.capinfosCount(kept.get(0)), "the whole leg is kept");
            assertEquals("no space left on device while writing " + out + "; no " + out + " was written; kept " + PACKETS
                    + " packets in " + legs + " (merge them with: meshcap merge --reassociate " + legs + "/leg-* -o "
                    + out + ")", failure.getMessage());
            assertEquals(List.of(legs), list(disk.path()), "no incomplete output, nothing hidden");
        }
    }

    @Test
    void aLegTheDiskRefusedEndsTheCaptureIsNamedAsTheCauseAndWhatFitIsKept() throws Exception {
        // About 2.6 MB: the spool's first 1 MiB write fits, its second does not, and neither does a merged copy.
        int many = 15000;
        byte[] big = Files.readAllBytes(RandomCapture.write(dir.resolve("big.pcap"), OutputFormat.PCAP, many, 8));
        try (SmallTmpfs disk = SmallTmpfs.mount(dir, "disk", "size=1536k")) {
            Path out = disk.resolve("out.pcapng");

            // The capturer runs until it is stopped, and no --duration or Ctrl-C comes: the refusal ends the capture.
            MeshcapException failure = assertThrows(MeshcapException.class,
                    () -> capture(ReplayingSource.of(big).runningUntilStopped(), List.of(leg("lo")), out));

            Path legs = disk.resolve("out.pcapng.legs");
            List<Path> kept = list(legs);
            assertEquals(1, kept.size(), kept.toString());
            long fit = Tshark.capinfosCount(kept.get(0));
            assertTrue(fit > 0 && fit < many, "some fit, not all: " + fit);
            assertEquals("no space left on device while writing leg reviews/lo:inbound-plain; kept " + fit
                    + " packets in " + legs + " (merge them with: meshcap merge --reassociate " + legs + "/leg-* -o "
                    + out + ")", failure.getMessage());
        }
    }

    @Test
    void aLegWhoseStreamEndsInTheMiddleOfAPacketKeepsEveryWholeOneAndSaysSo() throws Exception {
        Path out = dir.resolve("out.pcapng");
        int lastPacket = 16 + Integer.parseInt(Tshark.fields(dir.resolve("leg.pcap"), "frame.number == " + PACKETS,
                "frame.cap_len").get(0).get(0));

        capture(ReplayingSource.of(Arrays.copyOf(legBytes, legBytes.length - 10)), List.of(leg("lo")), out);

        assertEquals(PACKETS - 1, Tshark.capinfosCount(out));
        assertTrue(err.toString().contains("meshcap: leg reviews/lo:inbound-plain: its stream ended in the middle of a"
                + " packet; that packet (" + (lastPacket - 10) + " bytes of it received) is left out, every whole packet"
                + " before it is kept\n"), err.toString());
    }

    @Test
    void aLegThatCannotStartFailsTheCaptureAndKeepsWhatTheOthersCaptured() throws Exception {
        Path out = dir.resolve("out.pcapng");

        MeshcapException failure = assertThrows(MeshcapException.class,
                () -> capture(ReplayingSource.of(legBytes).failingOn("eth1"), List.of(leg("lo"), leg("eth1")), out));

        assertEquals("leg reviews/eth1:inbound-plain: cannot start: tcpdump: eth1: No such device exists",
                failure.getMessage());
        Path legs = dir.resolve("out.pcapng.legs");
        assertEquals("meshcap: the legs captured so far are kept in " + legs + "\n", err.toString().lines()
                .filter(line -> line.contains("kept")).findFirst().orElse("") + "\n");
        assertEquals(PACKETS, Tshark.capinfosCount(list(legs).get(0)));
        assertEquals(List.of(dir.resolve("leg.pcap"), legs), list(dir), "no output written");
    }

    @Test
    void aFailureBeforeAnyPacketLeavesNothingBehind() throws Exception {
        Path out = dir.resolve("out.pcapng");

        assertThrows(MeshcapException.class, () -> capture(ReplayingSource.of(legBytes).failingOn("eth0"), List.of(leg("eth0")), out));

        assertEquals(List.of(dir.resolve("leg.pcap")), list(dir), "the empty spool is removed");
        assertTrue(!err.toString().contains("kept"), err.toString());
    }

    @Test
    void aKeyLogThatIsGoneIsSaidAndTheCaptureIsWrittenWithoutIt() throws Exception {
        Path out = dir.resolve("out.pcapng");
        Path gone = dir.resolve("keys.log");
        CaptureSession session = new CaptureSession(ReplayingSource.of(legBytes), new PrintWriter(err, true), false)
                .withTlsKeyLogs(List.of(gone));

        try (StopSignal stop = StopSignal.manual()) {
            session.run(List.of(leg("lo")), OutputTarget.of(out.toString()), null, false, null, stop, null);
        }

        assertEquals(PACKETS, Tshark.count(out));
        List<String> warnings = err.toString().lines().filter(line -> line.startsWith("meshcap: warning: ")).toList();
        assertEquals(1, warnings.size(), err.toString());
        assertTrue(warnings.get(0).contains(gone.toString()) && warnings.get(0).endsWith("; the capture is written"
                + " without its keys"), warnings.get(0));
    }
}
