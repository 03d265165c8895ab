package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Wireshark's and tcpdump's tools, the independent judges of what meshcap reads and writes. */
public final class Tools {

    private static final long TIMEOUT_SECONDS = 60;

    private Tools() {
    }

    /** Runs a command, fails the test unless it exits 0, and returns its standard output. */
    public static String run(String... command) {
        Result result = runAllowingFailure(command);
        assertEquals(0, result.exitCode(), () -> String.join(" ", command) + " failed: " + result.stderr());
        return result.stdout();
    }

    public record Result(int exitCode, String stdout, String stderr) {
    }

    public static Result runAllowingFailure(String... command) {
        try {
            Path out = Files.createTempFile("meshcap-tool-", ".out");
            Path err = Files.createTempFile("meshcap-tool-", ".err");
            try {
                Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + Arrays.toString(command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** One packet as tshark sees it. */
    public record Frame(String interfaceName, String interfaceDescription, long timestampNanos, int originalLength,
                        int capturedLength, String comment) {
    }

    /** Every packet of a file as tshark reads it: interface, nanosecond time, lengths, comment. */
    public static List<Frame> tshark(Path file) {
        String out = run("tshark", "-r", file.toString(), "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
                "-E", "aggregator=\u0001",
                "-e", "frame.interface_name", "-e", "frame.interface_description", "-e", "frame.time_epoch",
                "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.comment");
        List<Frame> frames = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length != 6 || (!f[2].isEmpty() && f[2].indexOf('.') < 0)) {
                throw new AssertionError(file + ": unexpected tshark line: " + line);
            }
            frames.add(new Frame(emptyToNull(f[0]), emptyToNull(f[1]), epochNanos(f[2]), Integer.parseInt(f[3]),
                    Integer.parseInt(f[4]), emptyToNull(f[5].replace('\u0001', '\n'))));
        }
        return frames;
    }

    /** capinfos' packet count. */
    public static long capinfosCount(Path file) {
        String out = run("capinfos", "-M", "-c", "-T", "-r", file.toString());
        return Long.parseLong(out.trim().split("\t")[1].trim());
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

    /** Every record of a file as meshcap reads it. */
    public static List<CaptureRecord> readAll(Path file) {
        try (CaptureReader reader = CaptureFormats.open(file)) {
            List<CaptureRecord> records = new ArrayList<>();
            for (CaptureRecord r = reader.next(); r != null; r = reader.next()) {
                records.add(r);
            }
            return records;
        }
    }

    /** Interfaces a file defines, as meshcap reads them (after reading every record). */
    public static List<CaptureInterface> interfaces(Path file) {
        try (CaptureReader reader = CaptureFormats.open(file)) {
            while (reader.next() != null) {
                // read to the end: pcapng may define interfaces anywhere
            }
            return reader.interfaces();
        }
    }

    /**
     * Asserts meshcap reads the same packets as tshark: count, nanosecond timestamps, lengths, comments and
     * interface names.
     */
    public static void assertSameAsTshark(Path file) {
        List<Frame> frames = tshark(file);
        List<CaptureRecord> records = readAll(file);
        List<CaptureInterface> interfaces = interfaces(file);
        assertEquals(frames.size(), records.size(), () -> file + ": packet count; tshark saw " + frames);
        for (int i = 0; i < frames.size(); i++) {
            Frame frame = frames.get(i);
            CaptureRecord record = records.get(i);
            String where = file + " packet " + (i + 1);
            assertEquals(frame.timestampNanos(), record.timestampNanos(), where + ": timestamp");
            assertEquals(frame.originalLength(), record.originalLength(), where + ": original length");
            assertEquals(frame.capturedLength(), record.capturedLength(), where + ": captured length");
            assertEquals(frame.comment(), record.comment(), where + ": comment");
            String name = interfaces.get(record.interfaceId()).name();
            if (name != null || !"unknown".equals(frame.interfaceName())) {
                // pcapng interfaces without if_name are "unknown" to tshark; pcap ones have no name at all.
                assertEquals(frame.interfaceName(), name, where + ": interface name");
            }
        }
    }
}
