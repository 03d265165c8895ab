package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test helpers for classic pcap bytes: record boundaries, and what tshark makes of a file. */
final class PcapFiles {

    static final String LO_SMALL = "/k8s/lo-small.pcap";
    private static final int FILE_HEADER = 24;
    private static final int RECORD_HEADER = 16;
    private static final int INCLUDED_LENGTH_OFFSET = 8;

    private PcapFiles() {
    }

    /** The end offset of each whole record (the file is little-endian, as tcpdump wrote it here). */
    static List<Integer> recordEnds(byte[] pcap) {
        ByteBuffer buffer = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> ends = new ArrayList<>();
        int offset = FILE_HEADER;
        while (offset + RECORD_HEADER <= pcap.length) {
            int end = offset + RECORD_HEADER + buffer.getInt(offset + INCLUDED_LENGTH_OFFSET);
            if (end > pcap.length) {
                break;
            }
            ends.add(end);
            offset = end;
        }
        return ends;
    }

    /**
     * How many packets tshark reads from {@code pcap}: tshark, not meshcap, judges what the stream delivered.
     * A stream cut mid-packet is still read to its last whole packet (tshark then exits 2, saying so).
     */
    static int packetsReadByTshark(byte[] pcap, Path directory) throws IOException, InterruptedException {
        Path file = Files.write(directory.resolve("leg.pcap"), pcap);
        Path errors = directory.resolve("tshark.err");
        Process tshark = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e", "frame.number")
                .redirectError(errors.toFile()).start();
        String out = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tshark.waitFor(600, TimeUnit.SECONDS), "tshark did not finish");
        String said = Files.readString(errors);
        assertTrue(tshark.exitValue() == 0 || said.contains("cut short in the middle of a packet"),
                "tshark exited " + tshark.exitValue() + ": " + said);
        return (int) out.lines().filter(line -> !line.isBlank()).count();
    }
}
