package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.TestOwner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A test JVM killed mid-test (PIT's time limit), even in the middle of bringing its lab up, leaves its lab behind; the
 * next fixture removes it, by the owner recorded before the lab was made, and keeps every lab whose owner still runs
 * or that has no owner (a user's). Two test runs may sweep the same leftover at once.
 */
class LabSweepTest {

    private static final long WAIT_MILLIS = 60_000;
    private static final int SWEEPERS = 4;

    @Test
    void aLabWhoseOwnerWasKilledMidUpIsTakenDownAndLiveOrUnownedLabsAreKept() throws Exception {
        Process liveOwner = new ProcessBuilder("sleep", "600").start();
        String dead = LabFixture.uniqueName();
        String live = LabFixture.uniqueName();
        String reused = LabFixture.uniqueName();
        String unowned = LabFixture.uniqueName();
        try {
            List<Long> pids = labKilledMidUp(dead);
            // Only what a lab's name leads to matters: these three have a run directory and a pod namespace.
            halfLab(live, ownerOf(liveOwner.toHandle()));
            // This JVM's pid, but not started when this JVM was: the kernel gave the pid to a new process.
            TestOwner self = TestOwner.current();
            halfLab(reused, new TestOwner(self.pid(), self.start().minusSeconds(3600)));
            halfLab(unowned, null);

            LabFixture.sweepLabsOfDeadRuns();

            // Another suite on the machine may be sweeping the same lab at this moment: wait for it to finish.
            waitFor(() -> gone(dead) && gone(reused) && !Files.exists(LabFixture.OWNERS.record(dead))
                    && !Files.exists(LabFixture.OWNERS.record(reused)), "the dead owners' labs and records are removed");
            for (long pid : pids) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " stopped");
            }
            for (String kept : List.of(live, unowned)) {
                assertTrue(Namespaces.exists(kept + "-pod"), kept + "'s namespace is kept");
                assertTrue(Files.isDirectory(RunDirectory.of(kept).path()), kept + "'s run directory is kept");
            }
            assertTrue(Files.exists(LabFixture.OWNERS.record(live)), "a live owner's record is kept");
        } finally {
            liveOwner.destroy();
            for (String name : List.of(dead, live, reused, unowned)) {
                Lab.of(LabConfig.defaults().withName(name)).down();
                LabFixture.disown(name);
            }
        }
    }

    @Test
    void removersOfTheSameLabAtOnceAllSucceed() throws Exception {
        String name = LabFixture.uniqueName();
        LabFixture.own(name);
        try {
            for (String namespace : List.of(name + "-pod", name + "-mesh")) {
                CommandRunner.check("create a namespace", List.of("ip", "netns", "add", namespace));
            }
            RunDirectory run = RunDirectory.of(name);
            run.create();
            for (LabRole role : LabRole.values()) {
                Files.writeString(run.log(role), "a log\n");
            }
            CyclicBarrier start = new CyclicBarrier(SWEEPERS);
            List<Callable<Void>> removers = new ArrayList<>();
            for (int i = 0; i < SWEEPERS; i++) {
                removers.add(() -> {
                    start.await();
                    Lab.of(LabConfig.defaults().withName(name)).down();
                    return null;
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(SWEEPERS);
            try {
                for (Future<Void> remover : pool.invokeAll(removers)) {
                    remover.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(gone(name), name + " is gone");
        } finally {
            Lab.of(LabConfig.defaults().withName(name)).down();
            LabFixture.disown(name);
        }
    }

    @Test
    void aNamespaceThatCannotBeDeletedStillFailsTheLabsRemoval() throws Exception {
        String name = LabFixture.uniqueName();
        // ip lists every entry of /run/netns, and cannot delete one that is a directory.
        Path notANamespace = Path.of("/run/netns", name + "-pod");
        Files.createDirectories(notANamespace);
        try {
            MeshcapException failure = assertThrows(MeshcapException.class,
                    () -> Lab.of(LabConfig.defaults().withName(name)).down());
            assertTrue(failure.getMessage().startsWith("deleting network namespace " + name + "-pod failed: ip netns"
                    + " del " + name + "-pod: "), failure.getMessage());
            assertTrue(failure.getMessage().contains("Is a directory"), failure.getMessage());
        } finally {
            Files.deleteIfExists(notANamespace);
        }
    }

    /**
     * A JVM that records itself as the owner of lab {@code name} and brings it up, as a test does, killed (SIGKILL) as
     * soon as the first of the lab's processes runs; returns the lab processes' pids that it left.
     */
    private static List<Long> labKilledMidUp(String name) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                BringsUpALab.class.getName(), name).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        RunDirectory run = RunDirectory.of(name);
        try {
            waitFor(() -> !child.isAlive() || Arrays.stream(LabRole.values()).anyMatch(role -> run.readPid(role).isPresent()),
                    "a process of lab " + name + " runs");
            assertTrue(child.isAlive(), () -> "the JVM bringing lab " + name + " up ended by itself: " + child.exitValue());
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        List<Long> pids = Arrays.stream(LabRole.values()).map(run::readPid).flatMap(Optional::stream).toList();
        assertFalse(pids.isEmpty(), "a lab process ran");
        return pids;
    }

    /** The JVM {@link #labKilledMidUp} starts: owns lab {@code args[0]}, brings it up, then waits to be killed. */
    static final class BringsUpALab {
        public static void main(String[] args) throws InterruptedException {
            LabFixture.own(args[0]);
            Lab.of(LabConfig.defaults().withName(args[0])).up();
            Thread.sleep(WAIT_MILLIS);
        }
    }

    private static boolean gone(String name) {
        return !Namespaces.exists(name + "-pod") && !Namespaces.exists(name + "-mesh")
                && !Files.exists(RunDirectory.of(name).path());
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "waited for: " + what);
            Thread.sleep(50);
        }
    }

    private static TestOwner ownerOf(ProcessHandle process) {
        Instant start = process.info().startInstant().orElseThrow();
        return new TestOwner(process.pid(), start);
    }

    /** A lab as far as its name leads: owned first (or never), then a pod namespace and a run directory. */
    private static void halfLab(String name, TestOwner owner) throws IOException {
        if (owner != null) {
            owner.writeTo(LabFixture.OWNERS.record(name));
            assertEquals(owner, TestOwner.readFrom(LabFixture.OWNERS.record(name)).orElseThrow());
        }
        CommandRunner.check("create a namespace", List.of("ip", "netns", "add", name + "-pod"));
        RunDirectory.of(name).create();
    }
}
