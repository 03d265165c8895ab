package io.meshcap.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.lab.Endpoint;
import io.meshcap.sys.CommandRunner;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs Wireshark's and tcpdump's tools (tshark, capinfos, editcap, mergecap) on files the tests produce: the
 * independent judges of what meshcap reads and writes, so tests never parse capture bytes themselves.
 */
public final class Tshark {

    private static final String SEPARATOR = "\t";
    private static final long HANG_GUARD_SECONDS = 600;
    /** Joins several occurrences of one field (comments) so they stay inside their column. */
    private static final char AGGREGATOR = '\u0001';
    /** What the interface re-association writes a leg's rewritten packets on adds to the leg's name. */
    private static final String REASSOCIATED = " (re-associated)";

    private Tshark() {
    }

    /**
     * The leg a packet's interface belongs to: the interface's name, less the mark of the interface re-association
     * writes the leg's rewritten packets on ({@code LEG (re-associated)}, docs/reassociation.md).
     */
    public static String leg(String interfaceName) {
        return interfaceName.endsWith(REASSOCIATED)
                ? interfaceName.substring(0, interfaceName.length() - REASSOCIATED.length()) : interfaceName;
    }

    /** One TCP packet as tshark decodes it; addresses in tshark's text form, like {@link Endpoint}. */
    public record TcpPacket(Endpoint source, Endpoint destination, boolean syn, boolean ack) {

        public boolean isSyn() {
            return syn && !ack;
        }
    }

    /** One packet as tshark sees it: interface, nanosecond time, lengths, comments (joined by newlines). */
    public record Frame(String interfaceName, String interfaceDescription, long timestampNanos, int originalLength,
            int capturedLength, String comment) {
    }

    /**
     * {@code tshark -r FILE [-Y FILTER] -T fields -e F...}: one list of field values per packet; a field that occurs
     * several times in a packet has its values joined by commas, as tshark prints them.
     */
    public static List<List<String>> fields(Path file, String displayFilter, String... fields) {
        return query(file, displayFilter, List.of(), fields);
    }

    /**
     * Like {@link #fields}, but only each field's first occurrence: the outer header's, where an ICMP error quotes
     * the packet it answers.
     */
    public static List<List<String>> firstFields(Path file, String displayFilter, String... fields) {
        return query(file, displayFilter, List.of("-E", "occurrence=f"), fields);
    }

    /**
     * The directions of the IPv4 TCP packets in a file, {@code src:port>dst:port}, per leg ({@link #leg}: an interface
     * and its re-associated one together).
     */
    public static Map<String, Set<String>> tcpDirectionsPerLeg(Path file) {
        Map<String, Set<String>> seen = new TreeMap<>();
        for (List<String> row : fields(file, "tcp", "frame.interface_name", "ip.src", "tcp.srcport", "ip.dst",
                "tcp.dstport")) {
            seen.computeIfAbsent(leg(row.get(0)), k -> new HashSet<>())
                    .add(row.get(1) + ":" + row.get(2) + ">" + row.get(3) + ":" + row.get(4));
        }
        return seen;
    }

    /** Every TCP packet of a file (IPv4 and IPv6), in file order, as its outer headers say. */
    public static List<TcpPacket> tcpPackets(Path file) {
        List<TcpPacket> packets = new ArrayList<>();
        for (List<String> row : firstFields(file, "tcp", "ip.src", "ipv6.src", "tcp.srcport",
                "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack")) {
            String source = row.get(0).isEmpty() ? row.get(1) : row.get(0);
            String destination = row.get(3).isEmpty() ? row.get(4) : row.get(3);
            packets.add(new TcpPacket(new Endpoint(source, Integer.parseInt(row.get(2))),
                    new Endpoint(destination, Integer.parseInt(row.get(5))), flag(row.get(6)), flag(row.get(7))));
        }
        return packets;
    }

    /** Every packet of a file as tshark reads it. */
    public static List<Frame> frames(Path file) {
        List<Frame> frames = new ArrayList<>();
        for (List<String> f : query(file, null, List.of("-E", "occurrence=a", "-E", "aggregator=" + AGGREGATOR),
                "frame.interface_name", "frame.interface_description", "frame.time_epoch", "frame.len", "frame.cap_len",
                "frame.comment")) {
            if (!f.get(2).isEmpty() && f.get(2).indexOf('.') < 0) {
                throw new AssertionError(file + ": unexpected tshark line: " + f);
            }
            frames.add(new Frame(emptyToNull(f.get(0)), emptyToNull(f.get(1)), epochNanos(f.get(2)),
                    Integer.parseInt(f.get(3)), Integer.parseInt(f.get(4)),
                    emptyToNull(f.get(5).replace(AGGREGATOR, '\n'))));
        }
        return frames;
    }

    /** The number of packets tshark reads from the file. */
    public static int count(Path file) {
        return (int) run("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e", "frame.number").lines().count();
    }

    /** capinfos' packet count, a second opinion on the file's structure. */
    public static long capinfosCount(Path file) {
        String out = run("capinfos", "-M", "-c", "-T", "-r", file.toString());
        return Long.parseLong(out.trim().split(SEPARATOR)[1].trim());
    }

    /** capinfos' packet count of each file, from one capinfos for them all (one tshark per file takes a second). */
    public static Map<Path, Long> capinfosCounts(List<Path> files) {
        List<String> argv = new ArrayList<>(List.of("capinfos", "-M", "-c", "-T", "-r"));
        files.forEach(file -> argv.add(file.toString()));
        Map<Path, Long> counts = new java.util.HashMap<>();
        for (String line : run(argv).lines().toList()) {
            String[] columns = line.split(SEPARATOR);
            counts.put(Path.of(columns[0].trim()), Long.parseLong(columns[1].trim()));
        }
        assertEquals(files.size(), counts.size(), "one count per file");
        return counts;
    }

    /**
     * Runs a command, fails the test unless it exits 0, and returns its standard output. The limit only guards
     * against a hang: tshark on a machine busy with parallel builds can take far longer than meshcap's own
     * tool limit allows.
     */
    public static String run(List<String> argv) {
        try {
            Path out = Files.createTempFile("meshcap-judge-", ".out");
            Path err = Files.createTempFile("meshcap-judge-", ".err");
            try {
                List<String> command = new ArrayList<>(argv);
                command.set(0, CommandRunner.locate(argv.get(0)).orElse(argv.get(0)));
                Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", argv) + " did not finish in " + HANG_GUARD_SECONDS + " s");
                }
                String stderr = Files.readString(err);
                assertTrue(process.exitValue() == 0,
                        () -> String.join(" ", argv) + " exited " + process.exitValue() + ": " + stderr);
                return Files.readString(out);
            } finally {
                Files.delete(out);
                Files.delete(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + argv, e);
        }
    }

    public static String run(String... argv) {
        return run(List.of(argv));
    }

    /** Like {@link #fields}, with tshark options first (e.g. {@code -o tls.keylog_file:FILE}). */
    public static List<List<String>> query(Path file, String displayFilter, List<String> options, String... fields) {
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields",
                "-E", "separator=/t"));
        argv.addAll(options);
        if (displayFilter != null) {
            argv.add("-Y");
            argv.add(displayFilter);
        }
        for (String field : fields) {
            argv.add("-e");
            argv.add(field);
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : run(argv).lines().toList()) {
            rows.add(Arrays.asList(line.split(SEPARATOR, -1)));
        }
        return rows;
    }

    /**
     * "1795333790.637641000" (tshark prints nine digits) to nanoseconds, without floating point. A Simple
     * Packet Block has no time, which tshark shows as nothing and meshcap as 0.
     */
    static long epochNanos(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        int dot = text.indexOf('.');
        String fraction = (text.substring(dot + 1) + "000000000").substring(0, 9);
        return Long.parseLong(text.substring(0, dot)) * 1_000_000_000L + Long.parseLong(fraction);
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static boolean flag(String value) {
        return value.equals("1") || value.equalsIgnoreCase("true");
    }
}
