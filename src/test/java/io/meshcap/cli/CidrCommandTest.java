package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CidrCommandTest {

    @Test
    void printsNormalisedFormsOnStdoutAndChangesOnStderr() {
        CliRun run = CliRun.of("cidr", "192.168.0.0/12", "fd00:1:2:3::/48", "10.96.0.0/12");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("192.160.0.0/12\nfd00:1:2::/48\n10.96.0.0/12\n", run.out());
        assertTrue(run.err().contains("192.168.0.0/12 -> 192.160.0.0/12: host bits cleared"), run.err());
        assertTrue(run.err().contains("covers 192.160.0.0 - 192.175.255.255"), run.err());
        assertTrue(run.err().contains("10.96.0.0/12: already a network address"), run.err());
    }

    @Test
    void oneBadInputFailsTheWholeCommandWithOneLine() {
        for (String bad : new String[] {"300.1.1.1/8", "10.0.0.0/33", "banana"}) {
            CliRun run = CliRun.of("cidr", "10.0.0.0/8", bad);
            assertEquals(2, run.exitCode(), run.toString());
            assertEquals("", run.out());
            assertEquals(1, run.err().lines().count(), run.toString());
            assertTrue(run.err().startsWith("meshcap: invalid CIDR '" + bad + "'"), run.err());
        }
    }
}
