package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Commands run in a pod through the exec API, against the mock API server scripting the kubelet's frames: how long
 * meshcap waits for one, what a stop request does to it, how much of its stderr is kept, and what happens when the
 * capture's sink refuses the bytes. The mock server's request log says what reached the API.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(120)
class PodExecTest {

    private static final ExecTarget PROXY = new ExecTarget(NAMESPACE, POD, "istio-proxy", List.of());
    private static final List<String> SLOW = List.of("sleep", "60");
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * When a slow command's exit status arrives: after the 1 s the tests give it, before the wait they would fall
     * back to. (The mock server sends a scripted frame before it shuts down, so this is each such test's time.)
     */
    private static final long LATER_MS = 2500;

    KubernetesMockServer server;
    KubernetesClient client;
    private MockCluster cluster;
    private final StopSignal stop = StopSignal.manual();

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
        cluster.create(MockCluster.privilegedProxyPod().build());
    }

    /** {@link #SLOW} in the proxy: it says it started, and exits 0 {@link #LATER_MS} later. */
    private void slowCommand() {
        cluster.exec(POD, "istio-proxy", SLOW).andEmit(MockCluster.stderr("started\n"))
                .waitFor(5).andEmit(MockCluster.successAfter(LATER_MS)).done().once();
    }

    @Test
    void aCommandThatDoesNotEndInTimeIsGivenUpWithItsTimeout() {
        slowCommand();

        MeshcapException e = assertThrows(MeshcapException.class,
                () -> new PodExec(client, stop).run(PROXY, SLOW, Duration.ofSeconds(1)));

        assertEquals("'sleep 60' in shop/" + POD + " (container istio-proxy) did not finish within 1s", e.getMessage());
    }

    @Test
    void aStopRequestedWhileASetUpCommandRunsEndsItsWait() throws Exception {
        slowCommand();
        Thread stopper = whenWaiting(Thread.currentThread(), stop::requestStop);

        MeshcapException e = assertThrows(MeshcapException.class,
                () -> new PodExec(client, stop).run(PROXY, SLOW, Duration.ofSeconds(50)));
        stopper.join();

        // Seen at the next look (200 ms), not when the command ends.
        assertEquals("stopped while running 'sleep 60' in shop/" + POD + " (container istio-proxy)", e.getMessage());
    }

    @Test
    void aCleanUpCommandIsBoundedByItsTimeoutToo() {
        slowCommand();
        stop.requestStop();

        MeshcapException e = assertThrows(MeshcapException.class,
                () -> new PodExec(client, stop).runWhileStopping(PROXY, SLOW, Duration.ofSeconds(1)));

        assertEquals("'sleep 60' in shop/" + POD + " (container istio-proxy) did not finish within 1s", e.getMessage());
    }

    @Test
    void anInterruptWhileACommandRunsEndsTheWaitAndStaysSet() throws Exception {
        slowCommand();
        Thread caller = Thread.currentThread();
        Thread interrupter = whenWaiting(caller, caller::interrupt);

        MeshcapException e = assertThrows(MeshcapException.class,
                () -> new PodExec(client, stop).run(PROXY, SLOW, Duration.ofSeconds(50)));
        boolean interruptKept = Thread.interrupted();
        interrupter.join();

        assertEquals("interrupted while running 'sleep 60'", e.getMessage());
        assertTrue(interruptKept, "the interrupt is kept for the code that called the command");
    }

    @Test
    void stdoutIsFlushedIntoTheSinkAndTheCopyingThreadNeverHoldsTheJvm() throws Exception {
        cluster.exec(POD, "istio-proxy", SLOW).andEmit(MockCluster.stdout("pcap bytes".getBytes(StandardCharsets.UTF_8)))
                .waitFor(5).andEmit(MockCluster.successAfter(LATER_MS)).done().once();
        ByteArrayOutputStream file = new ByteArrayOutputStream();

        RemoteProcess process = new PodExec(client, stop).start(PROXY, SLOW, new BufferedOutputStream(file));
        List<Thread> copiers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("meshcap-exec-" + POD)).toList();

        assertEquals(0, process.await(WAIT));
        assertEquals("pcap bytes", file.toString(StandardCharsets.UTF_8));
        assertTrue(!copiers.isEmpty() && copiers.stream().allMatch(Thread::isDaemon), copiers.toString());
    }

    @Test
    void stderrWrittenByteByByteIsKeptUpTo64KiBToo() {
        RemoteProcess.BoundedBuffer stderr = RemoteProcess.newStderrBuffer();

        for (int i = 0; i < 70_000; i++) {
            stderr.write('y');
        }

        assertEquals("y".repeat(65_536), stderr.text());
    }

    @Test
    void afterAStopSetUpRunsNothingButCleanUpStillRuns() throws Exception {
        cluster.execReturns(POD, "istio-proxy", List.of("rm", "-f", "/tmp/x"), "removed\n", 0);
        stop.requestStop();
        PodExec exec = new PodExec(client, stop);
        cluster.requests();

        MeshcapException e = assertThrows(MeshcapException.class, () -> exec.run(PROXY, List.of("tcpdump", "--version"),
                WAIT));
        List<String> execsAfterSetUp = cluster.requests().stream().filter(MockCluster::isExec)
                .map(r -> MockCluster.commandOf(r).toString()).toList();
        CommandResult cleanUp = exec.runWhileStopping(PROXY, List.of("rm", "-f", "/tmp/x"), WAIT);

        assertEquals("stopped while setting up in shop/" + POD + " (container istio-proxy)", e.getMessage());
        assertEquals(List.of(), execsAfterSetUp);
        assertEquals(new CommandResult(0, "removed\n", ""), cleanUp);
        assertEquals(List.of("shop/" + POD + " (container istio-proxy): rm -f /tmp/x"), exec.commandLog());
    }

    @Test
    void aTcpdumpThatFailsToRunSaysItsExitAndError() {
        cluster.exec(POD, "istio-proxy", CaptureArgv.probe())
                .andEmit(MockCluster.stderr("tcpdump: error while loading shared libraries: libcrypto.so.3: wrong ELF "
                        + "class: ELFCLASS32\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();

        MeshcapException e = assertThrows(MeshcapException.class,
                () -> new PodExec(client, stop).requireTcpdump(PROXY, "use --strategy ephemeral"));

        assertEquals("tcpdump does not run in shop/" + POD + " (container istio-proxy) (exit 1: tcpdump: error while "
                + "loading shared libraries: libcrypto.so.3: wrong ELF class: ELFCLASS32); use --strategy ephemeral",
                e.getMessage());
    }

    @Test
    void aChattyCommandsStderrIsKeptUpTo64KiB() {
        String chatter = "x".repeat(70_000);
        cluster.exec(POD, "istio-proxy", List.of("chatty")).andEmit(MockCluster.stderr(chatter))
                .waitFor(5).andEmit(MockCluster.stderr("and more\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(0)).done().once();

        CommandResult result = new PodExec(client, stop).run(PROXY, List.of("chatty"), WAIT);

        assertEquals("x".repeat(65_536), result.stderr());
    }

    @Test
    void aSinkThatRefusesBytesEndsTheCommandAndSaysWhy() throws Exception {
        cluster.exec(POD, "istio-proxy", SLOW).andEmit(MockCluster.stdout("pcap bytes".getBytes(StandardCharsets.UTF_8)))
                .waitFor(5).andEmit(MockCluster.successAfter(LATER_MS)).done().once();
        OutputStream fullDisk = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };

        RemoteProcess process = new PodExec(client, stop).start(PROXY, SLOW, fullDisk);

        // Ended without the exit status that comes later: meshcap closed the stream when the bytes had nowhere to go.
        assertEquals(RemoteProcess.NO_EXIT_STATUS, process.await(WAIT));
        assertEquals("No space left on device", process.copyFailure().getMessage());
    }

    /**
     * A thread that does {@code action} once {@code caller} waits for a command (in {@link RemoteProcess#await}),
     * rather than while it is still sending the exec.
     */
    private static Thread whenWaiting(Thread caller, Runnable action) {
        Thread thread = new Thread(() -> {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (Arrays.stream(caller.getStackTrace()).noneMatch(frame -> frame.getMethodName().equals("await")
                    && frame.getClassName().equals(RemoteProcess.class.getName()))) {
                if (System.nanoTime() > deadline) {
                    return;
                }
                LockSupport.parkNanos(1_000_000);
            }
            action.run();
        }, "test-when-waiting");
        thread.start();
        return thread;
    }
}
