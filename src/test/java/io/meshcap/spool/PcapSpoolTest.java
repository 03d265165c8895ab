package io.meshcap.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.testing.LoopbackCapture;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapSpoolTest {

    @TempDir
    static Path dir;
    static Path recorded;
    static byte[] stream;
    static int recordedPackets;

    @BeforeAll
    static void recordRealTraffic() throws Exception {
        recorded = dir.resolve("lo.pcap");
        LoopbackCapture.record(recorded, 5);
        stream = Files.readAllBytes(recorded);
        recordedPackets = Tshark.count(recorded);
        assertTrue(recordedPackets >= 5 * 8, "expected whole TCP exchanges, got " + recordedPackets);
    }

    private static PcapSpool spool(String name, long maxBytes, Runnable onLimit) throws IOException {
        return new PcapSpool(dir.resolve(name), maxBytes, onLimit);
    }

    @Test
    void aStreamInArbitraryChunksIsSpooledByteForByte() throws IOException {
        Random random = new Random(7);
        PcapSpool spool = spool("chunks.pcap", 0, () -> { });
        try (spool) {
            for (int at = 0; at < stream.length; ) {
                int length = Math.min(stream.length - at, 1 + random.nextInt(100));
                spool.write(stream, at, length);
                at += length;
            }
        }
        assertArrayEquals(stream, Files.readAllBytes(spool.file()));
        assertEquals(recordedPackets, spool.packets());
        assertEquals(stream.length, spool.bytes());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.file())));
    }

    @Test
    void aStreamCutAtAnyPointLeavesAValidFileOfWholePackets() throws IOException {
        Map<Path, Long> spooledPackets = new HashMap<>();
        for (int cut = 24; cut < stream.length; cut += 37) {
            PcapSpool spool = spool("cut-" + cut + ".pcap", 0, () -> { });
            try (spool) {
                spool.write(stream, 0, cut);
            }
            spooledPackets.put(spool.file(), spool.packets());
            assertEquals(Files.size(spool.file()) + spool.partialTail(), cut, "cut at " + cut);
        }
        assertEquals(spooledPackets, Tshark.capinfosCounts(List.copyOf(spooledPackets.keySet())));
    }

    @Test
    void theSizeLimitStopsAtAWholePacketAndSaysSoOnce() throws IOException {
        AtomicInteger limitCalls = new AtomicInteger();
        long limit = stream.length / 2;
        PcapSpool spool = spool("limited.pcap", limit, limitCalls::incrementAndGet);
        try (spool) {
            spool.write(stream, 0, stream.length);
        }
        assertEquals(1, limitCalls.get());
        assertTrue(Files.size(spool.file()) <= limit);
        assertEquals(spool.packets(), Tshark.count(spool.file()));
        assertTrue(spool.packets() > 0 && spool.packets() < recordedPackets);
    }

    @Test
    void aRingKeepsOnlyTheNewestFilesJoinedIntoOneValidCapture() throws IOException {
        long segment = stream.length / 5;
        PcapSpool spool = new PcapSpool(dir.resolve("ring.pcap"), segment, 2, () -> {
            throw new AssertionError("a ring never reaches its limit");
        });
        try (spool) {
            spool.write(stream, 0, stream.length);
        }
        assertEquals(recordedPackets, spool.packets());
        assertTrue(spool.keptPackets() > 0 && spool.keptPackets() < recordedPackets, "kept " + spool.keptPackets());
        assertEquals(spool.keptPackets(), Tshark.count(spool.file()));
        assertTrue(Files.size(spool.file()) <= 2 * segment, "at most two files' worth");
        // The newest packets are the ones kept: the joined file ends with the stream's last packet.
        List<List<String>> all = Tshark.fields(recorded, null, "frame.time_epoch");
        List<List<String>> kept = Tshark.fields(spool.file(), null, "frame.time_epoch");
        assertEquals(all.subList(all.size() - kept.size(), all.size()), kept);
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith("ring.pcap.")), "ring files left behind");
        }
    }

    @Test
    void somethingThatIsNotPcapIsRefused() throws IOException {
        try (PcapSpool spool = spool("garbage.pcap", 0, () -> { })) {
            byte[] text = "tcpdump: eth9: No such device exists\n".getBytes();
            MeshcapException error = assertThrows(MeshcapException.class, () -> spool.write(text, 0, text.length));
            assertTrue(error.getMessage().contains("does not start with a pcap header"), error.getMessage());
        }
    }
}
