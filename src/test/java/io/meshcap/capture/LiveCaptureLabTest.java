package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.lab.Endpoint;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.testing.LiveStreamRun;
import io.meshcap.testing.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    @TempDir
    Path dir;

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
        LiveStreamRun run = new LiveStreamRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o", "-");
        run.awaitCapturing(4);

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
        // The four legs, and the outbound plaintext leg's re-associated interface, declared before its first packet.
        assertTrue(info.contains("Number of interfaces in file: 5"), info);
        Set<String> inFile = new HashSet<>();
        Set<String> reassociated = new HashSet<>();
        for (List<String> row : Tshark.fields(run.stream, "tcp", "frame.interface_name", "ip.src", "tcp.srcport",
                "ip.dst", "tcp.dstport")) {
            String direction = row.get(1) + ":" + row.get(2) + ">" + row.get(3) + ":" + row.get(4);
            inFile.add(Tshark.leg(row.get(0)) + " " + direction);
            if (!row.get(0).equals(Tshark.leg(row.get(0)))) {
                reassociated.add(row.get(0) + " " + direction);
            }
        }
        String pod = LAB.topology().podNamespace();
        Set<String> requests = outbound.stream().filter(call -> call.startsWith(pod + "/lo:outbound-plain ")
                && call.contains(">" + LabTopology.MESH_IPV4 + ":")).map(call -> call.replaceFirst(" ",
                " (re-associated) ")).collect(Collectors.toSet());
        assertEquals(requests, reassociated, "the outbound lo requests, rewritten, and nothing else");
        assertTrue(inFile.containsAll(inbound) && inFile.containsAll(outbound), "every call in the whole stream: "
                + inFile);
        assertTrue(run.err().contains("meshcap: streamed "), run.err());
        run.assertNothingLeftRunning();
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the legs' spool is removed");
        }
    }

    @Test
    void silentLegsDoNotHoldTheOthersBackForTheReorderWindow() throws Exception {
        // The longest window there is: packets that waited it out would come a minute after their calls.
        LiveStreamRun run = new LiveStreamRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(),
                "-o", "-", "--reorder-window", "60s");
        run.awaitCapturing(4);

        // Inbound calls only: both outbound legs are silent throughout, and caught up with their tcpdumps.
        Set<String> inbound = everyCall(LAB.traffic(2, 0));
        run.await(() -> run.seen.containsAll(inbound), "the inbound calls before the window could end",
                Duration.ofSeconds(40));

        run.meshcap.toHandle().destroy();
        assertEquals(0, run.awaitExit(), run.err());
        assertTrue(run.err().contains("meshcap: streamed "), run.err());
        run.assertNothingLeftRunning();
    }

    @Test
    void closingTheReaderStopsTheCaptureAndLeavesNothingRunning() throws Exception {
        LiveStreamRun run = new LiveStreamRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o", "-");
        run.awaitCapturing(4);
        run.stopReading();

        int exit = run.awaitExit();
        String err = run.err();
        assertEquals(1, exit, err);
        // Told by the failed write (EPIPE) or, when nothing is being written, by poll(2): the wording says which.
        assertTrue(err.matches("(?s).*\nmeshcap: the capture stopped because the live stream's reader went away \\(stdout:"
                + " [^\n]*\\); everything until then was streamed\n"), err);
        assertFalse(err.contains("Exception"), err);
        run.assertNothingLeftRunning();
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the legs' spool is removed");
        }
    }

    @Test
    void liveAlongsideAFileStreamsAndStillWritesTheCompleteFile() throws Exception {
        Path out = dir.resolve("complete.pcapng");
        LiveStreamRun run = new LiveStreamRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(), "-o",
                out.toString(), "--live", "-", "--reorder-window", "50ms");
        run.awaitCapturing(4);
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
