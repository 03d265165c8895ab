package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.ScratchNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshcap capture}'s flags, each refused up front in one line naming the fix (exit 2), and the values at
 * each limit accepted and carried into the plan {@code --print-plan} shows. The target is a scratch namespace of the
 * test's own: the plan reads it, and nothing is captured.
 */
class CaptureCommandFlagsTest {

    private static final int LOOPBACK_MTU = 65536;

    static ScratchNamespace namespace;

    @TempDir
    Path dir;

    @BeforeAll
    static void createNamespace() {
        namespace = ScratchNamespace.create("mcflags", LOOPBACK_MTU);
    }

    @AfterAll
    static void deleteNamespace() {
        namespace.close();
    }

    @Test
    void aCaptureNeedsExactlyOneTarget() {
        String expected = "meshcap: name one target: --netns NAME or --pid PID on this machine, or --pod [NS/]NAME or"
                + " --selector LABELS in a cluster\n";
        assertRefused(expected, CliRun.of("capture", "sidecar"));
        assertRefused(expected, CliRun.of("capture", "sidecar", "--netns", namespace.name(), "--pod", "reviews"));
    }

    @Test
    void limitsOfNothingAreRefusedAndTheSmallestAreCarriedIntoThePlan() {
        assertRefused("meshcap: --count must be at least 1; leave it out to capture without a packet limit\n",
                plan("--count", "0"));
        assertRefused("meshcap: --max-size must be at least 64K, so that a leg's file holds a whole packet (the kernel"
                + " hands over packets of up to 64 KiB); leave it out for no size limit\n", plan("--max-size", "63K"));
        assertRefused("meshcap: --proxy-uid must be a user id (0 or more), not -1\n", plan("--proxy-uid", "-1"));

        CliRun smallest = plan("--count", "1", "--max-size", "64K", "--proxy-uid", "0");
        assertEquals(0, smallest.exitCode(), smallest.toString());
        assertTrue(smallest.out().lines().anyMatch(line -> line.startsWith("  capture:   ")
                && line.contains(" -s 262144 -c 1 '")), smallest.out());
        assertTrue(smallest.out().lines().toList().contains("  stops:     after 1 packets, at 65536 bytes (64.0 KB) per"
                + " leg"), smallest.out());
        assertTrue(smallest.err().lines().toList().contains("meshcap: note: " + namespace.name() + ": no application"
                + " listening outside the proxy uid 0; give --port for the inbound legs"), smallest.err());
    }

    @Test
    void aLiveStreamGoesToStandardOutputOrANamedPipeAndItsWindowOnlyWithIt() {
        assertRefused("meshcap: -o - already streams the capture to standard output; --live goes with -o FILE (keep the"
                + " complete file and watch at the same time)\n", plan("-o", "-", "--live", "-"));
        Path file = dir.resolve("file");
        CommandRunner.check("make a file", List.of("touch", file.toString()));
        for (Path notAPipe : List.of(file, dir, dir.resolve("missing"))) {
            assertRefused("meshcap: --live " + notAPipe + ": not a named pipe; make one with mkfifo " + notAPipe
                    + " and open it (wireshark -k -i " + notAPipe + "), or stream to standard output with --live -\n",
                    plan("-o", dir.resolve("out.pcapng").toString(), "--live", notAPipe.toString()));
        }
        assertRefused("meshcap: --reorder-window goes with a live stream: -o - or --live\n",
                plan("-o", dir.resolve("out.pcapng").toString(), "--reorder-window", "1s"));
        assertRefused("meshcap: --reorder-window must be at most 60s: every packet may wait that long\n",
                plan("-o", "-", "--reorder-window", "61s"));

        Path fifo = dir.resolve("fifo");
        CommandRunner.check("make a named pipe", List.of("mkfifo", fifo.toString()));
        assertEquals(0, plan("-o", dir.resolve("out.pcapng").toString(), "--live", fifo.toString(),
                "--reorder-window", "60s").exitCode());
        assertEquals(0, plan("-o", dir.resolve("out.pcapng").toString(), "--live", "-", "--reorder-window", "0ms")
                .exitCode());
        assertEquals(0, plan("-o", "-", "--reorder-window", "60s").exitCode());
        assertTrue(Files.notExists(dir.resolve("out.pcapng")), "a plan writes no file");
    }

    @Test
    void filterAndDecryptFlagsAreCheckedBeforeTheTargetIsRead() {
        assertRefused("meshcap: --decrypt makes a cluster pod's sidecar log its TLS keys: give --pod or --selector; for"
                + " a capture on this machine, give the key log with --tls-keylog FILE\n", plan("--decrypt"));
        // A namespace that does not exist: the port is refused before anything looks for it.
        assertRefused("meshcap: --port: port 0 is not within 1-65535\n",
                CliRun.of("capture", "inbound-plain", "--netns", "mctest-absent", "--port", "0", "--print-plan"));
    }

    @Test
    void aKeyLogThatIsNotThereYetIsANoteNotAnError() {
        Path keys = dir.resolve("keys.log");
        CliRun run = plan("--tls-keylog", keys.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("meshcap: note: " + keys + " does not exist yet; it is read when the capture ends",
                run.err().lines().findFirst().orElseThrow());
    }

    @Test
    void aSideIsOneOfTheGatewaysPresets() {
        assertRefused("meshcap: --side goes with the gateway group: meshcap capture gateway --side upstream\n",
                plan("--side", "upstream"));
        assertEquals(List.of(namespace.name() + "/eth0:gateway-downstream"), legs(gateway("--side", "downstream")));
        assertEquals(List.of(namespace.name() + "/eth0:gateway-upstream"), legs(gateway("--side", "upstream")));
        assertEquals(List.of(namespace.name() + "/eth0:gateway-downstream", namespace.name() + "/eth0:gateway-upstream"),
                legs(gateway("--side", "both")));
        assertEquals(legs(plan()), legs(plan("--side", "both")), "both is no side at all, whatever the preset");
    }

    @Test
    void thePlanNamesTheEngineTheExtraFilterAndTheReassociation() {
        CliRun pcap4j = plan("--engine", "pcap4j", "--extra-filter", "tcp[13] & 2 != 0");
        assertEquals(0, pcap4j.exitCode(), pcap4j.toString());
        List<String> lines = pcap4j.out().lines().toList();
        assertEquals("  filter:    ((dst host 127.0.0.1 and dst port 8080) or (src host 127.0.0.1 and src port 8080))"
                + " and (tcp[13] & 2 != 0)", lines.get(2));
        assertEquals("  capture:   libpcap inside meshcap (--engine pcap4j), in the network namespace "
                + namespace.name(), lines.get(3));

        String[] outbound = {"capture", "outbound-plain", "--netns", namespace.name(), "--pod-ip", "198.18.0.2",
            "--print-plan"};
        assertEquals("  re-associate: yes, undoing the REDIRECT to ports 15001 (outbound) and 15006 (inbound)",
                last(CliRun.of(outbound)));
        List<String> without = new ArrayList<>(List.of(outbound));
        without.add("--no-reassociate");
        assertEquals("  re-associate: no", last(CliRun.of(without.toArray(String[]::new))));
    }

    /** {@code --print-plan} of the inbound-plain leg on the namespace's lo, with {@code more}. */
    private static CliRun plan(String... more) {
        List<String> args = new ArrayList<>(List.of("capture", "inbound-plain", "--netns", namespace.name(),
                "--pod-ip", "127.0.0.1", "--port", "8080", "--print-plan"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static CliRun gateway(String... more) {
        List<String> args = new ArrayList<>(List.of("capture", "gateway", "--netns", namespace.name(),
                "--pod-ip", "198.18.0.2", "--cluster-cidr", "10.0.0.0/8", "--print-plan"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** The legs a plan names: its lines that are not indented. */
    private static List<String> legs(CliRun run) {
        assertEquals(0, run.exitCode(), run.toString());
        return run.out().lines().filter(line -> !line.startsWith(" ")).toList();
    }

    private static String last(CliRun run) {
        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.out().lines().toList();
        return lines.get(lines.size() - 1);
    }

    private static void assertRefused(String err, CliRun run) {
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertEquals(err, run.err());
    }
}
