package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.lab.LabFixture;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code inspect --netns} on a lab pod whose application listens inside the kernel's default ephemeral range. */
class InspectLabTest {

    private static final int PORT_IN_RANGE = 40000;

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withAppPorts(List.of(8080, PORT_IN_RANGE)));

    @Test
    void aListeningPortInsideTheNamespacesRangeIsWarnedOnTheLegsThatSelectTheRange() {
        CliRun run = CliRun.of("inspect", "--netns", LAB.topology().podNamespace());
        assertEquals(0, run.exitCode(), run.err());
        String warning = "    warning: application port " + PORT_IN_RANGE + " lies inside the ephemeral range 32768-60999";
        assertEquals(2, run.out().split(warning, -1).length - 1, run.out());
        assertTrue(run.out().contains("ephemeral ports      32768-60999 (read from the namespace)"), run.out());
    }
}
