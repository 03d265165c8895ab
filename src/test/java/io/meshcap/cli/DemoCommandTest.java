package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.lab.LabFixture;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first quick-start command, as a user runs it, in the test's JVM. Each demo gets a lab name of its
 * own ({@code --name}), so that two test runs on one machine never share the demo's lab.
 */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void demoCapturesAllFourLegsIntoOneFileAndRemovesItsLab() throws Exception {
        String lab = LabFixture.uniqueName();
        LabFixture.own(lab);
        Path out = dir.resolve("demo.pcapng");
        CliRun run = CliRun.of("demo", "--name", lab, "--calls", "3", "-o", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("all 6 verified"), run.err());
        // The result is on stdout: every call's outbound lo leg is joined to its eth0 leg, and inbound alike.
        assertTrue(run.out().contains("joins (6):"), run.out());
        assertEquals(3, run.out().lines().filter(line -> line.startsWith("  outbound stream")).count(), run.out());

        Set<String> interfaces = new TreeSet<>();
        for (List<String> row : Tshark.fields(out, "tcp", "frame.interface_name")) {
            interfaces.add(row.get(0));
        }
        String pod = lab + "-pod";
        // The outbound plaintext leg's rewritten packets are on its re-associated interface.
        assertEquals(Set.of(pod + "/eth0:inbound-mtls", pod + "/lo:inbound-plain", pod + "/lo:outbound-plain",
                pod + "/lo:outbound-plain (re-associated)", pod + "/eth0:outbound-mtls"), interfaces);
        // The file holds the lab's key log: tshark, with no settings, reads every call on all four legs.
        assertEquals(Map.of(pod + "/eth0:inbound-mtls", 3L, pod + "/lo:inbound-plain", 3L, pod + "/lo:outbound-plain",
                3L, pod + "/eth0:outbound-mtls", 3L), requestsByLeg(out), run.err());
        assertTrue(run.err().contains("readable in the file: inbound-mtls 3 calls decrypted (3 of 3 TLS connections),"
                + " inbound-plain 3 calls in plaintext, outbound-plain 3 calls in plaintext, outbound-mtls 3 calls"
                + " decrypted (3 of 3 TLS connections)"), run.err());
        assertTrue(run.err().contains(out + " holds "), "the demo says its file holds keys: " + run.err());
        assertTrue(run.err().lines().toList().contains("meshcap: lab " + lab + " removed"), run.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        String namespaces = CommandRunner.run(List.of("ip", "netns", "list")).stdout();
        assertFalse(namespaces.contains(lab), "the demo left its lab behind: " + namespaces);
        LabFixture.disown(lab);
    }

    @Test
    void keptLabStaysUpAndWithoutItsKeysTheMtlsLegsStayEncrypted() throws Exception {
        String lab = LabFixture.uniqueName();
        LabFixture.own(lab);
        Path out = dir.resolve("kept.pcapng");
        // What an earlier run killed while writing there left (a pid no Linux process can have, above 2^22).
        Path leftover = Files.createFile(dir.resolve(".old.pcapng.meshcap-tmp-4999999-abc123"));
        try {
            CliRun run = CliRun.of("demo", "--name", lab, "--calls", "1", "--keep-lab", "--no-decrypt", "-o",
                    out.toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.err().startsWith("meshcap: note: " + leftover + " is the incomplete output of a run that did"
                    + " not finish (pid 4999999, no longer running), 0 B\nmeshcap: note: remove what runs that did not"
                    + " finish left here with: meshcap cleanup --local " + dir + "\n"), run.err());
            List<String> err = run.err().lines().toList();
            assertTrue(err.contains("        the mTLS legs stay encrypted (--no-decrypt)"), run.err());
            assertEquals("meshcap: the lab stays up; capture from it with: meshcap capture sidecar --netns " + lab
                    + "-pod; remove it with: meshcap lab down --name " + lab, err.get(err.size() - 1));
            assertFalse(run.err().contains(out + " holds "), run.err());
            String pod = lab + "-pod";
            assertEquals(Map.of(pod + "/lo:inbound-plain", 1L, pod + "/lo:outbound-plain", 1L), requestsByLeg(out));
            assertEquals(0, CliRun.of("lab", "status", "--name", lab).exitCode(), "the lab is still up");
        } finally {
            assertEquals(0, CliRun.of("lab", "down", "--name", lab).exitCode());
            LabFixture.disown(lab);
        }
    }

    @Test
    void flagsThatCannotWorkAreRefusedBeforeAnyLab() {
        for (String calls : List.of("0", "1001")) {
            CliRun run = CliRun.of("demo", "--calls", calls, "-o", dir.resolve("x.pcapng").toString());
            assertEquals(2, run.exitCode(), run.toString());
            assertEquals("meshcap: --calls must be between 1 and 1000\n", run.err());
        }
        CliRun stdout = CliRun.of("demo", "-o", "-");
        assertEquals(2, stdout.exitCode(), stdout.toString());
        assertEquals("meshcap: the demo writes a file: name one with -o FILE, then open it\n", stdout.err());
        CliRun name = CliRun.of("demo", "--name", "Demo_Lab", "-o", dir.resolve("x.pcapng").toString());
        assertEquals(2, name.exitCode(), name.toString());
        assertEquals("meshcap: lab name 'Demo_Lab' is not usable: use lower-case letters, digits and '-', at most 24"
                + " characters, e.g. --name mylab\n", name.err());
        assertFalse(Files.exists(dir.resolve("x.pcapng")));
    }

    private static Map<String, Long> requestsByLeg(Path file) {
        return Tshark.fields(file, "http.request", "frame.interface_name").stream()
                .collect(Collectors.groupingBy(row -> Tshark.leg(row.get(0)), Collectors.counting()));
    }
}
