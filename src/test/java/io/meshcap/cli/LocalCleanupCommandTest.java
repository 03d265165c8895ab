package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshcap cleanup --local} in the test's own directories (never the current or the temporary directory,
 * where other runs' files are): what it says it removes, what it removes, and the options it refuses.
 * {@code CaptureOutputTest} leaves real leftovers with a killed capture and checks what is not meshcap's is kept.
 */
class LocalCleanupCommandTest {

    /** A pid no Linux process can have (above PID_MAX_LIMIT, 2^22): the run that left these files is gone. */
    private static final String DEAD_PID = "4999999";

    @TempDir
    Path one;
    @TempDir
    Path other;

    private static byte[] smallCapture() throws IOException {
        try (InputStream in = LocalCleanupCommandTest.class.getResourceAsStream("/k8s/lo-small.pcap")) {
            return in.readAllBytes();
        }
    }

    @Test
    void aDryRunNamesWhatItWouldRemoveInEveryDirectoryThenTheRunRemovesIt() throws IOException {
        Path output = Files.createFile(one.resolve(".out.pcapng.meshcap-tmp-" + DEAD_PID + "-abc123"));
        Path spill = Files.write(other.resolve(".meshcap-spill-" + DEAD_PID + "-def456"), smallCapture());

        CliRun dryRun = CliRun.of("cleanup", "--local", "--dry-run", one.toString(), other.toString());
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        assertEquals("", dryRun.out());
        assertEquals("meshcap: would remove " + output + "\nmeshcap: would remove " + spill + "\n", dryRun.err());
        assertTrue(Files.exists(output) && Files.exists(spill));

        CliRun run = CliRun.of("cleanup", "--local", one.toString(), other.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("meshcap: removed " + output + "\nmeshcap: removed " + spill + "\n", run.err());
        assertFalse(Files.exists(output) || Files.exists(spill));
    }

    @Test
    void nothingToRemoveNamesTheDirectoriesItLookedIn() throws IOException {
        Files.createFile(one.resolve("kept.pcapng"));
        CliRun run = CliRun.of("cleanup", "--local", one.toString(), other.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("meshcap: nothing to clean up in " + one + " and " + other + "\n", run.err());
        assertTrue(Files.exists(one.resolve("kept.pcapng")));
    }

    @Test
    void eachClusterOptionIsRefusedWithLocal() {
        String[][] clusterOptions = {{"-n", "shop"}, {"-A"}, {"--run", "k3x9q2"}, {"--context", "prod"},
            {"--kubeconfig", "/nonexistent/config"}};
        for (String[] option : clusterOptions) {
            String[] args = new String[option.length + 3];
            args[0] = "cleanup";
            args[1] = "--local";
            System.arraycopy(option, 0, args, 2, option.length);
            args[args.length - 1] = one.toString();
            CliRun run = CliRun.of(args);
            assertEquals(2, run.exitCode(), run.toString());
            assertEquals("meshcap: --local cleans up this machine: leave out the cluster options (-n, -A, --run,"
                    + " --context, --kubeconfig)\n", run.err(), String.join(" ", args));
        }
    }

    @Test
    void aDirectoryWithoutLocalIsAUsageError() {
        CliRun run = CliRun.of("cleanup", one.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("meshcap: directories go with --local: meshcap cleanup --local " + one + "\n", run.err());
    }

    @Test
    void mergeAndReassociateNameALeftoverBesideTheirOutputAndHowToRemoveIt() throws IOException {
        Path leftover = Files.createFile(one.resolve(".out.pcapng.meshcap-tmp-" + DEAD_PID + "-abc123"));
        Path input = Files.write(other.resolve("lo.pcap"), smallCapture());
        String note = "meshcap: note: " + leftover + " is the incomplete output of a run that did not finish (pid "
                + DEAD_PID + ", no longer running), 0 B\nmeshcap: note: remove what runs that did not finish left here"
                + " with: meshcap cleanup --local " + one + "\n";
        for (String command : new String[] {"merge", "reassociate"}) {
            CliRun run = CliRun.of(command, input.toString(), "-o", one.resolve(command + ".pcapng").toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.err().startsWith(note), run.toString());
        }
        assertTrue(Files.exists(leftover), "only cleanup removes it");
    }
}
