package io.meshcap.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.sys.CommandRunner;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A scratch namespace a killed test JVM left (with a process still in it) is removed when the next one is made;
 * one whose owner runs is kept.
 */
class OwnedNamespacesTest {

    private static final long SWEEP_WAIT_MILLIS = 60_000;

    @Test
    void theNamespaceOfAGoneOwnerIsRemovedWithWhatRunsInItAndALiveOwnersIsKept() throws Exception {
        String dead = name();
        String live = name();
        String next = name();
        Process inside = null;
        try {
            OwnedNamespaces.add(dead);
            OwnedNamespaces.add(live);
            inside = new ProcessBuilder("ip", "netns", "exec", dead, "sleep", "600").start();
            waitFor(() -> !CommandRunner.run(List.of("ip", "netns", "pids", dead)).stdout().isBlank(),
                    "the process in " + dead + " is running");
            deadOwner().writeTo(OwnedNamespaces.OWNERS.record(dead));

            OwnedNamespaces.add(next);

            // Another suite on the machine may be sweeping the same namespace at this moment: wait for it to finish.
            waitFor(() -> !exists(dead) && !Files.exists(OwnedNamespaces.OWNERS.record(dead)), dead + " removed");
            assertTrue(inside.waitFor(30, TimeUnit.SECONDS), "what ran in " + dead + " is stopped");
            assertTrue(exists(live), live + ", of this live JVM, is kept");
            assertTrue(exists(next));
        } finally {
            if (inside != null) {
                inside.destroy();
            }
            for (String name : List.of(dead, live, next)) {
                OwnedNamespaces.delete(name);
            }
        }
        assertFalse(exists(live));
    }

    private static String name() {
        return "mcsweep-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    private static boolean exists(String name) {
        return CommandRunner.run(List.of("ip", "netns", "list")).stdout().lines()
                .anyMatch(line -> line.split(" ")[0].equals(name));
    }

    private static TestOwner deadOwner() throws Exception {
        Process process = new ProcessBuilder("sleep", "600").start();
        TestOwner owner = new TestOwner(process.pid(), process.toHandle().info().startInstant().orElseThrow());
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return owner;
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + SWEEP_WAIT_MILLIS;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "waited for: " + what);
            Thread.sleep(50);
        }
    }
}
