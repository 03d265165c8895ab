package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.lab.Endpoint;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.testing.Tshark;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshcap capture sidecar --netns POD -o -} on the lab, read while it runs: meshcap in a JVM of its own with
 * its standard output a pipe, which the test copies to a file and to {@code tshark -l -r -} as the bytes arrive.
 * tshark says what the stream holds (per leg, re-associated or not) while the capture is still running.
 */
class LiveCaptureLabTest {

    private static final Duration HANG_GUARD = Duration.ofSeconds(90);

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    @TempDir
    Path dir;

    /**
     * A live capture read as a user reads it: {@code meshcap ... -o - | tee stream.pcapng | tshark -l -r -}, tshark's
     * lines collected as it prints them.
     */
    private static final class LiveRun {
        final Process meshcap;
        final Process tee;
        final Process tshark;
        final Path stream;
        final Path err;
        /** tshark's lines: interface, then source and destination as {@code address:port}. */
        final List<String> seen = new CopyOnWriteArrayList<>();
        final List<ProcessHandle> tcpdumps = new ArrayList<>();

        LiveRun(Path dir, String... args) throws IOException {
            Path tmp = Files.createDirectories(dir.resolve("tmp"));
            List<String> argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
                    "io.meshcap.cli.Main"));
            argv.addAll(List.of(args));
            stream = dir.resolve("stream.pcapng");
            err = dir.resolve("stderr.txt");
            List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                    new ProcessBuilder(argv).redirectError(err.toFile()),
                    new ProcessBuilder("tee", stream.toString()).redirectError(ProcessBuilder.Redirect.DISCARD),
                    new ProcessBuilder("tshark", "-l", "-n", "-r", "-", "-T", "fields", "-e", "frame.interface_name",
                            "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport")
                            .redirectError(ProcessBuilder.Redirect.DISCARD)));
            meshcap = pipeline.get(0);
            tee = pipeline.get(1);
            tshark = pipeline.get(2);
            Thread lines = new Thread(this::collect, "test-tshark-lines");
            lines.setDaemon(true);
            lines.start();
        }

        private void collect() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(tshark.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    String[] f = line.split("\t", -1);
                    if (f.length == 5 && !f[2].isEmpty()) {
                        seen.add(f[0] + " " + f[1] + ":" + f[2] + ">" + f[3] + ":" + f[4]);
                    }
                }
            } catch (IOException e) {
                // tshark ended.
            }
        }

        String err() throws IOException {
            return Files.readString(err);
        }

        void await(BooleanSupplier condition, String what) throws Exception {
            long deadline = System.nanoTime() + HANG_GUARD.toNanos();
            while (!condition.getAsBoolean()) {
                assertTrue(meshcap.isAlive(), "meshcap ended before " + what + ":\n" + err());
                assertTrue(System.nanoTime() < deadline, "no " + what + " within " + HANG_GUARD.toSeconds()
                        + " s; the stream showed " + seen + "\n" + err());
                Thread.sleep(20);
            }
        }

        /** Waits until every leg listens, and notes this run's own tcpdumps. */
        void awaitCapturing() throws Exception {
            await(() -> {
                try {
                    return err().contains("meshcap: capturing");
                } catch (IOException e) {
                    return false;
                }
            }, "'capturing'");
            meshcap.descendants().filter(p -> p.info().command().orElse("").endsWith("/tcpdump")).forEach(tcpdumps::add);
            assertEquals(4, tcpdumps.size(), "one tcpdump per leg: " + tcpdumps);
        }

        int awaitExit() throws Exception {
            assertTrue(meshcap.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS), "meshcap did not end:\n" + err());
            return meshcap.exitValue();
        }

        void assertNothingLeftRunning() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (tcpdumps.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(List.of(), tcpdumps.stream().filter(ProcessHandle::isAlive).toList(), "tcpdump left running");
        }

        /** The programs reading the stream exit, as a closed Wireshark does. */
        void stopReading() throws InterruptedException {
            tshark.destroy();
            tee.destroy();
            assertTrue(tee.waitFor(30, TimeUnit.SECONDS));
        }
    }

    private static String tuple(Endpoint from, Endpoint to) {
        return from.address() + ":" + from.port() + ">" + to.address() + ":" + to.port();
    }

    /** Both directions of each call on each leg that carries it, as tshark shows them: {@code LEG src>dst}. */
    private static Set<String> everyCall(Ledger ledger) {
        String pod = LAB.topology().podNamespace();
        Set<String> expected = new HashSet<>();
        for (LedgerEntry c : ledger.connections()) {
            boolean inbound = c.kind() == LedgerEntry.Kind.INBOUND;
            String first = pod + (inbound ? "/eth0:inbound-mtls " : "/lo:outbound-plain ");
            String second = pod + (inbound ? "/lo:inbound-plain " : "/eth0:outbound-mtls ");
            // Outbound on lo re-associated: the request direction carries the original destination, not 15001.
            expected.addAll(List.of(first + tuple(c.client(), c.destination()), first + tuple(c.destination(), c.client()),
                    second + tuple(c.serverPeer(), c.destination()), second + tuple(c.destination(), c.serverPeer())));
        }
        return expected;
    }

    @Test
    void theStreamCarriesEachCallWhileTheCaptureRunsReassociatedPerLegAndEndsAsAWholeFile() throws Exception {
        LiveRun run = new LiveRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o", "-");
        run.awaitCapturing();

        // Inbound calls only: both outbound legs stay silent, and must not hold the inbound legs' packets back.
        Set<String> inbound = everyCall(LAB.traffic(2, 0));
        run.await(() -> run.seen.containsAll(inbound), "inbound calls in the stream while capturing");
        Set<String> outbound = everyCall(LAB.traffic(0, 2));
        run.await(() -> run.seen.containsAll(outbound), "outbound calls in the stream while capturing");
        assertTrue(run.seen.stream().noneMatch(line -> line.contains(":15001")),
                "re-associated in the stream: nothing to the outbound capture port: " + run.seen);

        run.meshcap.toHandle().destroy(); // SIGTERM: stop as after Ctrl-C
        assertEquals(0, run.awaitExit(), run.err());
        assertTrue(run.tee.waitFor(30, TimeUnit.SECONDS), "the stream ended");
        String info = Tshark.run(List.of("capinfos", "-M", run.stream.toString()));
        assertTrue(info.contains("pcapng"), info);
        assertTrue(info.contains("Number of interfaces in file: 4"), info);
        Set<String> inFile = new HashSet<>();
        for (List<String> row : Tshark.fields(run.stream, "tcp", "frame.interface_name", "ip.src", "tcp.srcport",
                "ip.dst", "tcp.dstport")) {
            inFile.add(row.get(0) + " " + row.get(1) + ":" + row.get(2) + ">" + row.get(3) + ":" + row.get(4));
        }
        assertTrue(inFile.containsAll(inbound) && inFile.containsAll(outbound), "every call in the whole stream: "
                + inFile);
        assertTrue(run.err().contains("meshcap: streamed "), run.err());
        run.assertNothingLeftRunning();
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the legs' spool is removed");
        }
    }

    @Test
    void closingTheReaderStopsTheCaptureAndLeavesNothingRunning() throws Exception {
        LiveRun run = new LiveRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o", "-");
        run.awaitCapturing();
        run.stopReading();

        int exit = run.awaitExit();
        String err = run.err();
        assertEquals(1, exit, err);
        assertTrue(err.contains("meshcap: the capture stopped because the live stream's reader went away (stdout: the"
                + " reading program exited); everything until then was streamed\n"), err);
        assertFalse(err.contains("Exception"), err);
        run.assertNothingLeftRunning();
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the legs' spool is removed");
        }
    }

    @Test
    void liveAlongsideAFileStreamsAndStillWritesTheCompleteFile() throws Exception {
        Path out = dir.resolve("complete.pcapng");
        LiveRun run = new LiveRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o",
                out.toString(), "--live", "-", "--reorder-window", "50ms");
        run.awaitCapturing();
        Set<String> calls = everyCall(LAB.traffic(1, 1));
        run.await(() -> run.seen.containsAll(calls), "the calls in the stream while capturing");
        run.meshcap.toHandle().destroy();
        assertEquals(0, run.awaitExit(), run.err());
        assertTrue(run.err().contains("meshcap: wrote " + out), run.err());
        // The complete file also has what the stream cannot: each connection's leg and join in its first packet.
        List<String> comments = Tshark.fields(out, "frame.comment contains \"joined with stream\"", "frame.number")
                .stream().map(row -> row.get(0)).toList();
        assertEquals(4, comments.size(), "one per connection of two joined calls: " + comments);
        run.assertNothingLeftRunning();
    }

    @Test
    void liveIsRefusedWhereItCannotMeanWhatWasAsked() {
        Path regular = dir.resolve("file.pcapng");
        List<List<String>> refused = List.of(
                List.of("-o", "-", "--live", "-"),
                List.of("--live", regular.toString()),
                List.of("-o", "x.pcapng", "--reorder-window", "1s"),
                List.of("-o", "-", "--reorder-window", "61s"));
        for (List<String> flags : refused) {
            List<String> args = new ArrayList<>(List.of("capture", "sidecar", "--netns", LAB.topology().podNamespace()));
            args.addAll(flags);
            io.meshcap.cli.CliRun run = io.meshcap.cli.CliRun.of(args.toArray(String[]::new));
            assertEquals(2, run.exitCode(), flags + ": " + run);
            assertFalse(run.err().contains("note:"), "refused before the namespace was read: " + run.err());
        }
    }
}
