package io.meshcap.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
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

/** The README's first quick-start command, as a user runs it. */
class DemoTest {

    @TempDir
    Path dir;

    @Test
    void demoCapturesAllFourLegsIntoOneFileAndRemovesItsLab() throws Exception {
        Path out = dir.resolve("demo.pcapng");
        CliRun run = CliRun.of("demo", "--calls", "3", "-o", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("all 6 verified"), run.err());
        // The result is on stdout: every call's outbound lo leg is joined to its eth0 leg, and inbound alike.
        assertTrue(run.out().contains("joins (6):"), run.out());
        assertEquals(3, run.out().lines().filter(line -> line.startsWith("  outbound stream")).count(), run.out());

        Set<String> interfaces = new TreeSet<>();
        for (List<String> row : Tshark.fields(out, "tcp", "frame.interface_name")) {
            interfaces.add(row.get(0));
        }
        // The outbound plaintext leg's rewritten packets are on its re-associated interface.
        assertEquals(Set.of("meshcap-demo-pod/eth0:inbound-mtls", "meshcap-demo-pod/lo:inbound-plain",
                "meshcap-demo-pod/lo:outbound-plain", "meshcap-demo-pod/lo:outbound-plain (re-associated)",
                "meshcap-demo-pod/eth0:outbound-mtls"), interfaces);
        // The file holds the lab's key log: tshark, with no settings, reads every call on all four legs.
        Map<String, Long> requests = Tshark.fields(out, "http.request", "frame.interface_name").stream()
                .collect(Collectors.groupingBy(row -> Tshark.leg(row.get(0)), Collectors.counting()));
        assertEquals(Map.of("meshcap-demo-pod/eth0:inbound-mtls", 3L, "meshcap-demo-pod/lo:inbound-plain", 3L,
                "meshcap-demo-pod/lo:outbound-plain", 3L, "meshcap-demo-pod/eth0:outbound-mtls", 3L), requests);
        assertTrue(run.err().contains("readable in the file: inbound-mtls 3 calls decrypted (3 of 3 TLS connections),"
                + " inbound-plain 3 calls in plaintext, outbound-plain 3 calls in plaintext, outbound-mtls 3 calls"
                + " decrypted (3 of 3 TLS connections)"), run.err());
        assertTrue(run.err().contains(out + " holds "), "the demo says its file holds keys: " + run.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        String namespaces = CommandRunner.run(List.of("ip", "netns", "list")).stdout();
        assertFalse(namespaces.contains(Demo.LAB_NAME), "the demo left its lab behind: " + namespaces);
    }
}
