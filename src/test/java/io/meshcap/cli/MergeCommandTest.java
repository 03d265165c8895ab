package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.format.ReadBack;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshcap merge} as a user runs it: a separate JVM, real exit codes, stdout and stderr. */
class MergeCommandTest {

    private static final long T0 = 1_795_333_790_000_000_000L;

    @TempDir
    Path dir;

    private Path capture(String name, int linkType, int packets, long offsetNanos) {
        Path file = dir.resolve(name);
        OutputFormat format = name.endsWith(".pcap") ? OutputFormat.PCAP : OutputFormat.PCAPNG;
        try (CaptureWriter writer = CaptureFormats.create(file, format, "test")) {
            writer.addInterface(new CaptureInterface(linkType, 0, null, null));
            for (int i = 0; i < packets; i++) {
                writer.write(new CaptureRecord(0, T0 + offsetNanos + i * 1000L, 40, new byte[40]));
            }
        }
        return file;
    }

    /**
     * Runs meshcap in a new JVM through bash (for ulimit and pipes), with the test's class path. A last
     * argument starting with "; }" is shell syntax that closes a group opened in {@code shellPrefix}.
     */
    private static CommandRunner.Result meshcap(String shellPrefix, String... args) {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = shellPrefix + " exec " + quote(java) + " -Xmx128m -cp " + quote(classPath)
                + " io.meshcap.cli.Main " + Arrays.stream(args)
                        .map(arg -> arg.startsWith("; }") ? arg : quote(arg)).collect(Collectors.joining(" "));
        return CommandRunner.run(List.of("bash", "-c", command));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void mergesIntoAPipeAndSummarisesOnStderr() {
        Path a = capture("a.pcap", LinkType.EN10MB, 5, 0);
        Path b = capture("b.pcapng", LinkType.LINUX_SLL, 3, 500);
        Path out = dir.resolve("piped.pcapng");
        // stdout goes through a real pipe, as into `wireshark -k -i -`.
        CommandRunner.Result result = meshcap("set -o pipefail; {", "merge", a.toString(), "--name", "reviews-v1/lo=" + b,
                b.toString(), "-o", "-", "; } | cat > " + quote(out.toString()));
        assertEquals(0, result.exitCode(), result.stderr());
        String second = Tshark.run("date", "-u", "-d", "@" + T0 / 1_000_000_000L, "+%Y-%m-%dT%H:%M:%S").trim();
        assertEquals(List.of(
                a + " (pcap): 5 packets, 200 bytes, " + second + ".000000000Z to " + second + ".000004000Z",
                "reviews-v1/lo (" + b + ", pcapng): 3 packets, 120 bytes, "
                        + second + ".000000500Z to " + second + ".000002500Z"),
                result.stderr().lines().toList());
        assertEquals(8, Tshark.capinfosCount(out));
        assertEquals(List.of("a.pcap", "reviews-v1/lo"), Tshark.frames(out).stream().map(Tshark.Frame::interfaceName)
                .distinct().toList());
    }

    @Test
    void moreInputsThanTheOpenFileLimit() throws IOException {
        List<String> args = new ArrayList<>(List.of("merge"));
        for (int i = 0; i < 150; i++) {
            args.add(capture("leg" + i + ".pcap", LinkType.RAW, 2, i).toString());
        }
        Path out = dir.resolve("many.pcapng");
        args.addAll(List.of("-o", out.toString()));
        CommandRunner.Result result = meshcap("ulimit -n 100;", args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(300, Tshark.capinfosCount(out));
        assertEquals(150, ReadBack.interfaces(out).size());
        List<Tshark.Frame> frames = Tshark.frames(out);
        for (int i = 1; i < frames.size(); i++) {
            assertTrue(frames.get(i - 1).timestampNanos() <= frames.get(i).timestampNanos());
        }
        assertEquals("rw-------", Tshark.run("stat", "-c", "%A", out.toString()).trim().substring(1));
        try (var left = Files.list(dir)) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".")));
        }
    }

    @Test
    void damagedInputFailsWithFileAndOffsetAndLeavesNoOutput() throws IOException {
        Path good = capture("good.pcap", LinkType.EN10MB, 3, 0);
        byte[] bytes = Files.readAllBytes(good);
        bytes[24 + 8] = (byte) 0xff; // first record's captured length: 0xff000028... impossible
        bytes[24 + 11] = (byte) 0x7f;
        Path bad = Files.write(dir.resolve("bad.pcap"), bytes);
        Path out = dir.resolve("out.pcapng");
        CommandRunner.Result result = meshcap("", "merge", good.toString(), bad.toString(), "-o", out.toString());
        assertEquals(1, result.exitCode());
        assertTrue(result.stderr().startsWith("meshcap: " + bad + ": offset 24: record claims "), result.stderr());
        assertFalse(result.stderr().contains("Exception"), result.stderr());
        assertFalse(Files.exists(out), "no half-written output is left behind");
    }

    @Test
    void truncatedInputIsAWarningNotAFailure() throws IOException {
        Path whole = capture("whole.pcap", LinkType.EN10MB, 3, 0);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.pcap"), Arrays.copyOf(bytes, bytes.length - 7));
        Path out = dir.resolve("out.pcapng");
        CommandRunner.Result result = meshcap("", "merge", cut.toString(), "-o", out.toString());
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stderr().contains("meshcap: warning: " + cut + ": offset 136: the last record is cut short "
                + "(49 of 56 bytes); the 2 records before it were kept"), result.stderr());
        assertEquals(2, Tshark.capinfosCount(out));
    }

    @Test
    void pcapOfMixedLinkTypesOnStdoutWritesNothingAndExitsTwo() throws IOException {
        Path a = capture("a.pcap", LinkType.EN10MB, 2, 0);
        Path b = capture("b.pcap", LinkType.LINUX_SLL, 2, 0);
        Path stdout = dir.resolve("stdout");
        CommandRunner.Result result = meshcap("{", "merge", a.toString(), b.toString(), "--format", "pcap", "-o", "-",
                "; } > " + quote(stdout.toString()));
        assertEquals(2, result.exitCode(), result.stderr());
        assertTrue(result.stderr().startsWith("meshcap: pcap output holds one link type"), result.stderr());
        assertEquals(0, Files.size(stdout), "no pcap header without the packets");
    }

    @Test
    void nameFindsItsInputHoweverThePathIsSpelt() {
        Path a = capture("a.pcap", LinkType.EN10MB, 1, 0);
        Path b = capture("b.pcap", LinkType.EN10MB, 1, 10);
        Path relativeA = Path.of("").toAbsolutePath().relativize(a);
        Path roundaboutB = dir.resolve("sub/../b.pcap");
        Path out = dir.resolve("named.pcapng");
        CliRun run = CliRun.of("merge", "--name", "reviews/lo=" + a, "--name", "reviews/eth0=" + roundaboutB,
                relativeA.toString(), b.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("reviews/lo", "reviews/eth0"),
                Tshark.frames(out).stream().map(Tshark.Frame::interfaceName).toList());
        CliRun twice = CliRun.of("merge", "--name", "x=" + a, "--name", "y=" + relativeA, a.toString(), "-o",
                out.toString());
        assertEquals(2, twice.exitCode(), twice::toString);
        assertTrue(twice.err().contains("is already labelled"), twice::toString);
    }

    @Test
    void aNameWithoutItsLabelOrItsFileIsRefusedInWords() {
        Path a = capture("a.pcap", LinkType.EN10MB, 1, 0);
        for (String name : new String[] {"=" + a, "reviews/lo="}) {
            CliRun run = CliRun.of("merge", a.toString(), "-o", dir.resolve("o.pcapng").toString(), "--name", name);
            assertEquals(2, run.exitCode(), run::toString);
            assertEquals("meshcap: --name " + name + ": expected LABEL=FILE, e.g. reviews-v1/eth0=eth0.pcap\n",
                    run.err());
        }
    }

    @Test
    void usageErrorsExitTwo() {
        Path a = capture("a.pcap", LinkType.EN10MB, 1, 0);
        Path b = capture("b.pcap", LinkType.LINUX_SLL, 1, 0);
        Path out = dir.resolve("o.pcap");
        assertEquals(2, Main.run("merge", a.toString()));
        assertEquals(2, Main.run("merge", a.toString(), "-o", out.toString(), "--name", "x=" + b));
        assertEquals(2, Main.run("merge", a.toString(), "-o", out.toString(), "--name", "nolabel"));
        assertEquals(2, Main.run("merge", a.toString(), "-o", a.toString()));
        assertEquals(2, Main.run("merge", a.toString(), "-o", out.toString(), "--format", "json"));
        assertEquals(2, Main.run("merge", a.toString(), b.toString(), "-o", out.toString(), "--format", "pcap"));
        assertFalse(Files.exists(out), "the failed pcap output was removed");
        assertEquals(2, Main.run("merge", a.toString(), "-o", dir.resolve("missing/o.pcapng").toString()));
        assertEquals(0, Main.run("merge", a.toString(), "-o", out.toString(), "--format", "PCAP"));
        assertEquals(1, Tshark.capinfosCount(out));
    }
}
