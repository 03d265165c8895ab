package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.sys.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The helper container's idle command and the release command that ends it, run for real: the idle command in
 * a mount namespace of its own with a private /tmp (as a container has), the release command entered into that
 * namespace (as exec does). The process table, not the command text, says whether the helper stopped.
 */
class HelperReleaseTest {

    private static final long LIFETIME_SECONDS = 600;

    @Test
    void theReleaseCommandEndsTheIdleProcessOfItsContainer() throws Exception {
        // unshare keeps its PID through exec: the process meshcap would release is this one.
        List<String> container = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", "mount -t tmpfs meshcap-test /tmp && exec \"$@\"", "container"));
        container.addAll(CaptureArgv.idle(LIFETIME_SECONDS));
        Process helper = new ProcessBuilder(container).redirectErrorStream(true).start();
        try {
            awaitIdle(helper.pid());

            List<String> release = new ArrayList<>(List.of("nsenter", "--mount", "--target",
                    Long.toString(helper.pid()), "--"));
            release.addAll(CaptureArgv.release());
            CommandRunner.Result released = CommandRunner.run(release);

            assertEquals(0, released.exitCode(), released.toString());
            assertTrue(helper.waitFor(30, TimeUnit.SECONDS), "the idle process is still running after its release");
            assertFalse(Files.exists(Path.of("/proc", Long.toString(helper.pid()))), "gone from the process table");
        } finally {
            helper.destroyForcibly();
        }
    }

    /** Waits until the helper has become the idle sleep, with its PID recorded in its own /tmp. */
    private static void awaitIdle(long pid) throws Exception {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        for (int i = 0; i < 500; i++) {
            if (Files.exists(cmdline) && Files.readString(cmdline).startsWith("sleep\0")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the helper never became its idle process: " + Files.readString(cmdline));
    }
}
