package io.meshcap.capture.k8s;


import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import io.meshcap.testing.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /** How many packets tshark reads from {@code pcap}: tshark, not meshcap, judges what the stream delivered. */
    static int packetsReadByTshark(byte[] pcap, Path directory) throws IOException {
        return Tshark.count(Files.write(directory.resolve("leg.pcap"), pcap));
    }
}
