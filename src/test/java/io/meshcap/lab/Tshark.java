package io.meshcap.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads capture files through tshark's field output, so tests never parse pcap bytes themselves. */
public final class Tshark {

    private Tshark() {
    }

    /** One TCP packet as tshark decodes it; addresses in tshark's text form, like {@link Endpoint}. */
    public record TcpPacket(Endpoint source, Endpoint destination, boolean syn, boolean ack) {

        public boolean isSyn() {
            return syn && !ack;
        }
    }

    /** Every TCP packet of a file (IPv4 and IPv6), in file order. */
    public static List<TcpPacket> tcpPackets(Path file) throws IOException {
        List<TcpPacket> packets = new ArrayList<>();
        for (List<String> row : fields(file, "tcp", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
                "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack")) {
            String source = row.get(0).isEmpty() ? row.get(1) : row.get(0);
            String destination = row.get(3).isEmpty() ? row.get(4) : row.get(3);
            packets.add(new TcpPacket(new Endpoint(source, Integer.parseInt(row.get(2))),
                    new Endpoint(destination, Integer.parseInt(row.get(5))), flag(row.get(6)), flag(row.get(7))));
        }
        return packets;
    }

    /** {@code tshark -r FILE -Y FILTER -T fields -e ...}: one list of field values per matching packet. */
    public static List<List<String>> fields(Path file, String displayFilter, String... fields) throws IOException {
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-Y", displayFilter,
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"));
        for (String field : fields) {
            argv.add("-e");
            argv.add(field);
        }
        Process process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new IOException("tshark failed on " + file + " (exit " + process.exitValue() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running tshark", e);
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (!line.isEmpty()) {
                rows.add(Arrays.asList(Arrays.copyOf(line.split("\t", -1), fields.length)));
            }
        }
        return rows;
    }

    private static boolean flag(String value) {
        return value.equals("1") || value.equalsIgnoreCase("true");
    }
}
