package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.TestOwner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A test JVM killed mid-test (PIT's time limit) leaves its lab behind; the next fixture removes it, by the owner the
 * lab records, and keeps every lab whose owner still runs or that has no owner (a user's).
 */
class LabSweepTest {

    private static final long SWEEP_WAIT_MILLIS = 60_000;

    @Test
    void aLabWhoseOwnerIsGoneIsTakenDownAndLiveOrUnownedLabsAreKept() throws Exception {
        Process liveOwner = new ProcessBuilder("sleep", "600").start();
        Lab dead = Lab.of(LabConfig.defaults().withName(LabFixture.uniqueName()));
        String live = LabFixture.uniqueName();
        String reused = LabFixture.uniqueName();
        String unowned = LabFixture.uniqueName();
        try {
            Map<LabRole, Long> pids = dead.up().processes();
            owner(dead.config().name(), deadOwner());
            // Only what a lab's name leads to matters: these three have a run directory and a pod namespace.
            halfLab(live, ownerOf(liveOwner.toHandle()));
            // This JVM's pid, but not started when this JVM was: the kernel gave the pid to a new process.
            TestOwner self = TestOwner.current();
            halfLab(reused, new TestOwner(self.pid(), self.start().minusSeconds(3600)));
            halfLab(unowned, null);

            LabFixture.sweepLabsOfDeadRuns();

            // Another suite on the machine may be sweeping the same lab at this moment: wait for it to finish.
            long deadline = System.currentTimeMillis() + SWEEP_WAIT_MILLIS;
            while (!gone(dead.config().name()) || !gone(reused)) {
                assertTrue(System.currentTimeMillis() < deadline, "the dead owners' labs are still there");
                Thread.sleep(50);
            }
            assertTrue(dead.status().gone(), dead.status()::toString);
            for (long pid : pids.values()) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " stopped");
            }
            for (String kept : List.of(live, unowned)) {
                assertTrue(Namespaces.exists(kept + "-pod"), kept + "'s namespace is kept");
                assertTrue(Files.isDirectory(RunDirectory.of(kept).path()), kept + "'s run directory is kept");
            }
        } finally {
            liveOwner.destroy();
            for (String name : List.of(dead.config().name(), live, reused, unowned)) {
                Lab.of(LabConfig.defaults().withName(name)).down();
            }
        }
    }

    private static boolean gone(String name) {
        return !Namespaces.exists(name + "-pod") && !Files.exists(RunDirectory.of(name).path());
    }

    /** The owner a process was: started, then stopped and reaped, so that its pid is free. */
    private static TestOwner deadOwner() throws Exception {
        Process process = new ProcessBuilder("sleep", "600").start();
        TestOwner owner = ownerOf(process.toHandle());
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return owner;
    }

    private static TestOwner ownerOf(ProcessHandle process) {
        Instant start = process.info().startInstant().orElseThrow();
        return new TestOwner(process.pid(), start);
    }

    private static void halfLab(String name, TestOwner owner) {
        CommandRunner.check("create a namespace", List.of("ip", "netns", "add", name + "-pod"));
        RunDirectory.of(name).create();
        if (owner != null) {
            owner(name, owner);
        }
    }

    private static void owner(String name, TestOwner owner) {
        owner.writeTo(RunDirectory.of(name).path().resolve(LabFixture.OWNER_FILE));
        assertEquals(owner, TestOwner.readFrom(RunDirectory.of(name).path().resolve(LabFixture.OWNER_FILE)).orElseThrow());
    }
}
