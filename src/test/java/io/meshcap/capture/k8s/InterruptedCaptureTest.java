package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static io.meshcap.capture.k8s.MockCluster.stdout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.dsl.EventDoneable;
import io.fabric8.mockwebserver.dsl.TimesOnceableOrHttpHeaderable;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.MetadataBundle;
import io.meshcap.testing.ChildMeshcap;
import io.meshcap.testing.LiveStreamRun;
import io.meshcap.testing.Tshark;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ctrl-C (SIGINT) and SIGTERM sent to the real CLI, in a JVM of its own, at each phase of a cluster capture with
 * the strategies that create something (an ephemeral container, a node pod). What the mock API server saw
 * (the release exec in the debug container, the DELETE of the node pod) and what its store still holds say
 * whether anything was left running; tshark and the files say whether the capture and its metadata are whole.
 */
@EnableKubernetesMockClient(crud = true)
class InterruptedCaptureTest {

    private static final Duration STEP = Duration.ofSeconds(60);
    private static final String PROXY = "istio-proxy";
    /** The inbound-mtls filter for the mock's pod (addresses and port from its spec), as a capture builds it. */
    private static final String FILTER = "(dst host (10.244.1.17 or fd00:10:244:1::11) and dst port 9080) or "
            + "(src host (10.244.1.17 or fd00:10:244:1::11) and src port 9080)";
    private static final LegPlan LEG = new LegPlan(NAMESPACE + "/" + POD, "eth0", "inbound-mtls", FILTER, false,
            CaptureLimits.none(), Map.of());
    private static final long TCPDUMP_PID = 9001;
    private static final long NODE_PID = 4242;
    // Long enough that the second signal comes while it hangs, short enough that the mock
    // server, which waits for its sessions when it shuts down, is not held up for long.
    private static final long RELEASE_HANGS_MS = 8_000;
    private static final String COUNTS = "0 packets dropped by kernel\n";
    private static final String KEYS = "CLIENT_TRAFFIC_SECRET_0 " + "6a".repeat(32) + " " + "4e".repeat(32) + "\n";
    // The capturing leg sends a few packets, then (unless stopped first) the rest after this long.
    private static final long REST_AFTER_MS = 2500;
    // Big enough that merging it takes a while (the signal lands in it), small enough to stay quick.
    private static final int MERGE_REPEATS = 4000;
    private static final int FRAME_BYTES = 256 * 1024;
    private static final Pattern DEBUG_NAME = Pattern.compile("\"name\"\\s*:\\s*\"(meshcap-[a-z0-9]+)\"");
    private static final Pattern RUN_ID = Pattern.compile("meshcap: run ([a-z0-9]+) ");
    /** What the bundle of a pod holds: every in-pod fact, the pod, the commands, meshcap's version. */
    private static final Set<String> BUNDLE = Set.of("iptables-save.txt", "ip6tables-save.txt",
            "iptables-legacy-save.txt", "iptables-nft-save.txt", "nft-ruleset.txt", "ip_local_port_range.txt",
            "listening-sockets.txt", "addresses.txt", "routes.txt", "routes-ipv6.txt", "pod.txt", "commands.txt",
            "meshcap.txt");

    enum Phase { SET_UP, CAPTURING, MERGING }

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;

    private MockCluster cluster;
    private final List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
    private final CountDownLatch helperMayRun = new CountDownLatch(1);
    private final CompletableFuture<String> helper = new CompletableFuture<>();
    private Thread recorder;
    private Thread kubelet;
    private boolean releaseHangs;
    /** With --decrypt: the config dump istio-proxy shows once the EnvoyFilter exists; null without --decrypt. */
    private String dumpAfterFilter;

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
        cluster.create(MockCluster.targetPod().build());
        recorder = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    RecordedRequest request = server.takeRequest(50, TimeUnit.MILLISECONDS);
                    if (request != null) {
                        seen.add(request);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-request-log");
        recorder.setDaemon(true);
        recorder.start();
    }

    @AfterEach
    void tearDown() {
        recorder.interrupt();
        if (kubelet != null) {
            kubelet.interrupt();
        }
    }

    @ParameterizedTest(name = "{0} strategy, {2} during {1}")
    @CsvSource({
        "EPHEMERAL, SET_UP, INT", "EPHEMERAL, SET_UP, TERM",
        "EPHEMERAL, CAPTURING, INT", "EPHEMERAL, CAPTURING, TERM",
        "EPHEMERAL, MERGING, INT", "EPHEMERAL, MERGING, TERM",
        "NODE, SET_UP, INT", "NODE, SET_UP, TERM",
        "NODE, CAPTURING, INT", "NODE, CAPTURING, TERM",
        "NODE, MERGING, INT", "NODE, MERGING, TERM"})
    void aSignalAtAnyPhaseLeavesNothingRunningAndKeepsWhatWasCaptured(Strategy strategy, Phase phase, String signal)
            throws Exception {
        byte[] stream = phase == Phase.MERGING ? bigCapture() : MockCluster.resource(PcapFiles.LO_SMALL);
        startKubelet(strategy, phase, stream);
        Path out = temp.resolve("pod.pcapng");

        ChildMeshcap meshcap = capture(strategy, out);
        switch (phase) {
            case SET_UP -> {
                // The debug container's PATCH is answered late: the signal comes while it is in flight. The node
                // pod is created (the kubelet has seen it), but does not run until after the signal.
                meshcap.awaitCondition(helper::isDone, STEP, "the helper's creation");
                meshcap.signal(signal);
                meshcap.awaitErr("press Ctrl-C again", STEP);
                helperMayRun.countDown();
            }
            case CAPTURING -> {
                meshcap.awaitErr("meshcap: capturing", STEP);
                meshcap.signal(signal);
            }
            case MERGING -> {
                // Clean-up ends the capture, right before the merge.
                meshcap.awaitCondition(() -> seen.stream().anyMatch(removes(strategy)), STEP, "the clean-up");
                meshcap.signal(signal);
            }
        }
        int exit = meshcap.await(STEP.multipliedBy(2));
        String err = meshcap.err();

        assertTrue(seen.stream().anyMatch(removes(strategy)), "the helper was removed: " + requests() + "\n" + err);
        assertEquals(List.of(), client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL).list()
                .getItems().stream().map(p -> p.getMetadata().getName()).toList(), "no node pod left");
        assertFalse(err.contains("already closed"), err);
        assertFalse(err.contains("meshcap: meshcap:"), err);
        assertFalse(err.contains("could not"), "clean-up had no problem: " + err);
        if (phase == Phase.SET_UP) {
            assertEquals(1, exit, err);
            assertTrue(err.contains("stopped while waiting for " + (strategy == Strategy.EPHEMERAL
                    ? "ephemeral container " + helper.join() + " in pod " + NAMESPACE + "/" + POD
                    : "node pod " + NAMESPACE + "/" + helper.join()) + " to run\n"), err);
            assertFalse(Files.exists(out), "nothing was captured");
            return;
        }
        assertEquals(0, exit, err);
        assertTrue(err.contains("meshcap: wrote " + out), err);
        assertEquals(phase == Phase.MERGING ? 20 * MERGE_REPEATS : 20, Tshark.capinfosCount(out));
        assertWholeBundle(out, strategy);
    }

    /**
     * {@code -o -} through the API: the pod's exec stream goes out live, labelled as its leg, and the stream is a whole
     * pcapng when the capture ends (here by itself: the pod's tcpdump exits after its packets); the helper is removed.
     */
    @ParameterizedTest(name = "{0} strategy")
    @CsvSource({"EPHEMERAL", "NODE"})
    void aPodsCaptureStreamsToStandardOutputAsAWholePcapng(Strategy strategy) throws Exception {
        startKubelet(strategy, Phase.CAPTURING, MockCluster.resource(PcapFiles.LO_SMALL));
        LiveStreamRun run = liveCapture(strategy);
        run.awaitCapturing(0);
        int exit = run.awaitExit();
        String err = run.err();
        assertEquals(0, exit, err);
        assertTrue(run.tee.waitFor(STEP.toSeconds(), TimeUnit.SECONDS), "the stream ended");
        assertEquals(20, Tshark.capinfosCount(run.stream), err);
        assertEquals(Set.of(POD + "/eth0:inbound-mtls"), Set.copyOf(Tshark.fields(run.stream, "", "frame.interface_name")
                .stream().map(row -> row.get(0)).toList()));
        assertTrue(err.contains("meshcap: streamed 20 packets live"), err);
        // The pod's metadata goes to meshcap's cache, not to the directory the stream was started in, and it says so.
        Path bundle = Path.of(bundleDirectory(err));
        assertEquals(temp.resolve("cache/meshcap"), bundle.getParent().getParent(), err);
        assertTrue(bundle.getParent().getFileName().toString().matches("meshcap-.+-\\d{8}-\\d{6}\\.meta"), err);
        assertTrue(Files.isRegularFile(bundle.resolve("pod.txt")), bundle.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(temp.resolve("cache/meshcap"))));
        try (Stream<Path> here = Files.list(temp)) {
            assertEquals(List.of(), here.filter(p -> p.getFileName().toString().endsWith(".meta")).toList());
        }
        assertTrue(seen.stream().anyMatch(removes(strategy)), "the helper was removed: " + requests() + "\n" + err);
        assertEquals(List.of(), client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL).list()
                .getItems().stream().map(p -> p.getMetadata().getName()).toList(), "no node pod left");
        try (Stream<Path> left = Files.list(temp.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the legs' spool is removed");
        }
    }

    /** The stream's reader is gone (Wireshark closed): the capture stops, its helper is removed, and it says why. */
    @ParameterizedTest(name = "{0} strategy")
    @CsvSource({"EPHEMERAL", "NODE"})
    void aLiveStreamWhoseReaderIsGoneStopsTheCaptureAndRemovesTheHelper(Strategy strategy) throws Exception {
        startKubelet(strategy, Phase.CAPTURING, MockCluster.resource(PcapFiles.LO_SMALL));
        LiveStreamRun run = liveCapture(strategy);
        run.stopReading();
        int exit = run.awaitExit();
        String err = run.err();
        assertEquals(1, exit, err);
        assertTrue(err.contains("meshcap: the capture stopped because the live stream's reader went away (stdout: "), err);
        assertTrue(seen.stream().anyMatch(removes(strategy)), "the helper was removed: " + requests() + "\n" + err);
        assertEquals(List.of(), client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL).list()
                .getItems().stream().map(p -> p.getMetadata().getName()).toList(), "no node pod left");
    }

    /** The directory the line {@code meshcap: POD: rules, sockets and commands in DIR} names. */
    private static String bundleDirectory(String err) {
        Matcher line = Pattern.compile("meshcap: " + Pattern.quote(NAMESPACE + "/" + POD) + ": rules, sockets and commands in (\\S+)").matcher(err);
        assertTrue(line.find(), err);
        return line.group(1);
    }

    private LiveStreamRun liveCapture(Strategy strategy) throws Exception {
        return new LiveStreamRun(temp, "capture", "inbound-mtls", "--pod", POD, "--kubeconfig",
                cluster.kubeconfig(temp).toString(), "--strategy", strategy.flagValue(), "-o", "-", "--duration", "5m");
    }

    /** The commands that set up a helper only to read the pod are interrupted the same way. */
    @ParameterizedTest(name = "{0} with the {1} strategy")
    @CsvSource({"inspect, NODE", "ports, EPHEMERAL", "capture inbound-mtls --print-plan, NODE"})
    void aSignalWhileAHelperIsSetUpToReadThePodRemovesIt(String command, Strategy strategy) throws Exception {
        startKubelet(strategy, Phase.SET_UP, MockCluster.resource(PcapFiles.LO_SMALL));
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.addAll(List.of("--pod", POD, "--kubeconfig", cluster.kubeconfig(temp).toString(), "--strategy",
                strategy.flagValue()));
        ChildMeshcap meshcap = ChildMeshcap.start(temp, args);
        meshcap.awaitCondition(helper::isDone, STEP, "the helper's creation");
        meshcap.signal("TERM");
        meshcap.awaitErr("press Ctrl-C again", STEP);
        helperMayRun.countDown();
        int exit = meshcap.await(STEP.multipliedBy(2));

        String err = meshcap.err();
        assertTrue(seen.stream().anyMatch(removes(strategy)), "the helper was removed: " + requests() + "\n" + err);
        assertEquals(1, exit, err);
        assertTrue(err.contains("stopped while waiting for "), err);
    }

    @Test
    void aSecondCtrlCAbandonsTheCleanUpAndSaysWhatIsLeftAndHowToRemoveIt() throws Exception {
        releaseHangs = true;
        startKubelet(Strategy.EPHEMERAL, Phase.CAPTURING, MockCluster.resource(PcapFiles.LO_SMALL));
        ChildMeshcap meshcap = capture(Strategy.EPHEMERAL, temp.resolve("pod.pcapng"));
        meshcap.awaitErr("meshcap: capturing", STEP);
        Matcher run = RUN_ID.matcher(meshcap.err());
        assertTrue(run.find(), meshcap.err());
        String container = "meshcap-" + run.group(1);

        meshcap.signal("INT");
        meshcap.awaitErr("press Ctrl-C again", STEP);
        // The release of the debug container never answers (a stalled API server).
        meshcap.awaitCondition(() -> seen.stream().anyMatch(releases(container)), STEP, "the release");
        meshcap.signal("INT");
        int exit = meshcap.await(STEP);

        String err = meshcap.err();
        assertEquals(1, exit, err);
        String object = "ephemeral container " + container + " in pod " + NAMESPACE + "/" + POD;
        String remove = "meshcap cleanup --run " + run.group(1) + " -n " + NAMESPACE;
        assertTrue(err.contains("meshcap: SIGINT: stopping: meshcap ends its legs and removes " + object
                + "; press Ctrl-C again to abandon that (then run: " + remove + ")\n"), err);
        assertTrue(err.contains("meshcap: SIGINT again: abandoned; may be left: " + object + "; remove with: " + remove
                + "\n"), err);
    }

    /**
     * Ctrl-C with --decrypt, in the real CLI: while it waits for Envoy's config dump to show the key log (Istio has not
     * pushed the filter), and while capturing. Either way the EnvoyFilter is deleted, the key file is removed in
     * istio-proxy and the debug container released, as the request log shows; a capture still gets its keys.
     */
    @ParameterizedTest(name = "Ctrl-C during {0}")
    @CsvSource({"SET_UP", "CAPTURING"})
    void ctrlCWithDecryptDeletesTheEnvoyFilterAndRemovesTheKeyFile(Phase phase) throws Exception {
        dumpAfterFilter = phase == Phase.SET_UP ? "/envoy/config-dump-reviews.json"
                : "/envoy/config-dump-reviews-key-log.json";
        startKubelet(Strategy.EPHEMERAL, Phase.CAPTURING, MockCluster.resource(PcapFiles.LO_SMALL));
        Path out = temp.resolve("pod.pcapng");
        ChildMeshcap meshcap = capture(Strategy.EPHEMERAL, out, "--decrypt");
        if (phase == Phase.SET_UP) {
            // Created, and read back at least once more: meshcap is waiting for Envoy.
            meshcap.awaitCondition(() -> seen.stream().filter(r -> MockCluster.isExec(r)
                    && MockCluster.commandOf(r).equals(ProxyArgv.configDump())).count() >= 2, STEP,
                    "the wait for the key log in Envoy's configuration");
            assertTrue(meshcap.err().contains("applying EnvoyFilter"), meshcap.err());
        } else {
            meshcap.awaitErr("meshcap: capturing", STEP);
        }
        meshcap.signal("INT");
        int exit = meshcap.await(STEP.multipliedBy(2));

        String err = meshcap.err();
        String runId = helper.join().substring(MeshcapObjects.NAME_PREFIX.length());
        String object = "EnvoyFilter " + NAMESPACE + "/" + KeyLogFilterSpec.name(runId, POD);
        List<List<String>> proxyExecs = seen.stream().filter(r -> MockCluster.isExec(r)
                && r.getPath().contains("&container=" + PROXY + "&")).map(MockCluster::commandOf).toList();
        List<String> keyFile = ProxyArgv.remove(KeyLogFilterSpec.keyLogPath(runId));
        assertEquals(List.of("POST", "DELETE"), seen.stream().filter(r -> r.getPath().startsWith(
                "/apis/networking.istio.io/v1alpha3/namespaces/" + NAMESPACE + "/envoyfilters")
                && !r.getMethod().equals("GET")).map(RecordedRequest::getMethod).toList(), requests());
        assertTrue(proxyExecs.contains(keyFile), "the key file removed in istio-proxy: " + proxyExecs);
        assertTrue(seen.stream().anyMatch(removes(Strategy.EPHEMERAL)), "the helper was removed: " + requests());
        assertEquals(List.of(), client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE)
                .list().getItems());
        assertFalse(err.contains("could not"), "clean-up had no problem: " + err);
        if (phase == Phase.SET_UP) {
            assertEquals(1, exit, err);
            // Ctrl-C lands between two reads of Envoy's configuration, or during one (the exec stops too).
            assertTrue(err.endsWith("meshcap: pod " + NAMESPACE + "/" + POD + ": stopped while waiting for Envoy to load "
                    + object + "\n") || err.endsWith("meshcap: stopped while running 'pilot-agent request GET"
                    + " config_dump' in " + NAMESPACE + "/" + POD + " (container " + PROXY + ")\n"), err);
            assertFalse(Files.exists(out), "nothing was captured");
        } else {
            assertEquals(0, exit, err);
            assertTrue(proxyExecs.indexOf(ProxyArgv.read(KeyLogFilterSpec.keyLogPath(runId)))
                    < proxyExecs.indexOf(keyFile), "the keys were read before the file was removed: " + proxyExecs);
            assertTrue(Tshark.run("capinfos", out.toString()).lines()
                    .anyMatch(l -> l.matches("Number of decryption secrets in file:\\s+1")), err);
        }
    }

    private ChildMeshcap capture(Strategy strategy, Path out, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig",
                cluster.kubeconfig(temp).toString(), "--strategy", strategy.flagValue(), "-o", out.toString(),
                "--duration", "5m"));
        args.addAll(List.of(more));
        return ChildMeshcap.start(temp, args);
    }

    /** The facts, the capture and its stop, the way the kubelet would answer them in {@code pod}/{@code container}. */
    private void scriptCapture(String pod, String container, List<String> nsenter, Phase phase, byte[] stream,
            String releaseContainer) {
        cluster.execReturns(pod, container, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        CaptureArgv.facts().forEach((name, argv) -> cluster.execReturns(pod, container, prefixed(nsenter, argv),
                name.equals(PodFacts.PORT_RANGE) ? "32768\t60999\n" : "# " + name + "\n", 0));
        EventDoneable<TimesOnceableOrHttpHeaderable<Void>> leg = cluster.exec(pod, container,
                        prefixed(nsenter, CaptureArgv.capture(LEG)))
                .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\ntcpdump: listening on eth0\n"));
        if (phase == Phase.MERGING) {
            // A leg that ends by itself (a count limit), so the capture goes on to merge without being stopped.
            for (int offset = 0; offset < stream.length; offset += FRAME_BYTES) {
                leg = leg.waitFor(1).andEmit(stdout(Arrays.copyOfRange(stream, offset,
                        Math.min(stream.length, offset + FRAME_BYTES))));
            }
            leg.waitFor(5).andEmit(stderr(COUNTS)).waitFor(5).andEmit(new StatusStreamMessage(0)).done().once();
        } else {
            int cut = PcapFiles.recordEnds(stream).get(4);
            // tcpdump's flush once it is stopped: the rest, its counts, exit 0.
            leg.waitFor(5).andEmit(stdout(Arrays.copyOfRange(stream, 0, cut)))
                    .waitFor(5).andEmit(MockCluster.stdoutAfter(REST_AFTER_MS, Arrays.copyOfRange(stream, cut,
                            stream.length)))
                    .waitFor(5).andEmit(MockCluster.stderrAfter(REST_AFTER_MS + 5, COUNTS))
                    .waitFor(5).andEmit(MockCluster.successAfter(REST_AFTER_MS + 10))
                    .done().once();
        }
        cluster.execReturns(pod, container, prefixed(nsenter, CaptureArgv.stop(TCPDUMP_PID)), "", 0);
        if (releaseContainer != null) {
            cluster.exec(pod, releaseContainer, CaptureArgv.release())
                    // In the second-signal test the release hangs (a stalled API server); otherwise it answers.
                    .andEmit(MockCluster.successAfter(releaseHangs ? RELEASE_HANGS_MS : 0)).done().once();
        }
    }

    private static List<String> prefixed(List<String> prefix, List<String> command) {
        return Stream.concat(prefix.stream(), command.stream()).toList();
    }

    /**
     * Plays the kubelet for meshcap's helper: once it is created (its name is only known then), scripts its execs
     * and makes it run; during set-up only after the test has sent its signal.
     */
    private void startKubelet(Strategy strategy, Phase phase, byte[] stream) {
        if (strategy == Strategy.EPHEMERAL) {
            server.expect().patch().delay(phase == Phase.SET_UP ? 1500 : 0, TimeUnit.MILLISECONDS)
                    .withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD + "/ephemeralcontainers")
                    .andReply(200, request -> {
                        Matcher name = DEBUG_NAME.matcher(request.getUtf8Body());
                        helper.complete(name.find() ? name.group(1) : "unnamed");
                        // Built here, not read from the store: the mock answers one request at a time.
                        return MockCluster.targetPod().editSpec().addToEphemeralContainers(EphemeralContainerSpec
                                .build(helper.join(), LaunchSettings.DEFAULT_IMAGE, PROXY,
                                        LaunchSettings.DEFAULT_LIFETIME)).endSpec().build();
                    }).once();
        }
        kubelet = new Thread(() -> {
            try {
                String name = strategy == Strategy.EPHEMERAL ? helper.get() : awaitNodePod();
                if (strategy == Strategy.EPHEMERAL) {
                    scriptCapture(POD, name, List.of(), phase, stream, name);
                    if (dumpAfterFilter != null) {
                        cluster.sidecarLogsKeys(POD, name.substring(MeshcapObjects.NAME_PREFIX.length()),
                                dumpAfterFilter, KEYS);
                    }
                    client.pods().inNamespace(NAMESPACE).resource(withDebugContainer(name, false)).update();
                } else {
                    cluster.execReturns(name, NodePodSpec.CONTAINER, CaptureArgv.findPid(MockCluster.PROXY_ID),
                            NODE_PID + "\n", 0);
                    scriptCapture(name, NodePodSpec.CONTAINER, CaptureArgv.nsenter(NODE_PID), phase, stream, null);
                    helper.complete(name);
                }
                if (phase == Phase.SET_UP) {
                    helperMayRun.await();
                }
                run(strategy, name);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                helper.completeExceptionally(e);
            }
        }, "test-kubelet");
        kubelet.setDaemon(true);
        kubelet.start();
    }

    private String awaitNodePod() throws InterruptedException {
        while (true) {
            List<Pod> pods = client.pods().inNamespace(NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL).list()
                    .getItems();
            if (!pods.isEmpty()) {
                return pods.get(0).getMetadata().getName();
            }
            Thread.sleep(20);
        }
    }

    private void run(Strategy strategy, String name) {
        if (strategy == Strategy.EPHEMERAL) {
            Pod pod = withDebugContainer(name, true);
            client.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();
            return;
        }
        Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
        if (pod != null) {
            pod.setStatus(new PodStatusBuilder().withPhase("Running")
                    .addToContainerStatuses(MockCluster.running(NodePodSpec.CONTAINER, "containerd://ff")).build());
            client.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();
        }
    }

    /** The target as stored: with meshcap's debug container in its spec, running or not yet. */
    private Pod withDebugContainer(String name, boolean running) {
        Pod pod = client.pods().inNamespace(NAMESPACE).withName(POD).get();
        if (pod.getSpec().getEphemeralContainers().stream().noneMatch(c -> c.getName().equals(name))) {
            pod.getSpec().getEphemeralContainers().add(EphemeralContainerSpec.build(name, LaunchSettings.DEFAULT_IMAGE,
                    PROXY, LaunchSettings.DEFAULT_LIFETIME));
        }
        if (running) {
            pod.getStatus().getEphemeralContainerStatuses().add(MockCluster.running(name, "containerd://ee"));
        }
        return pod;
    }

    /** The clean-up the strategy needs: the debug container's release exec, or the node pod's deletion. */
    private Predicate<RecordedRequest> removes(Strategy strategy) {
        if (strategy == Strategy.EPHEMERAL) {
            return r -> helper.isDone() && releases(helper.join()).test(r);
        }
        return r -> helper.isDone() && r.getMethod().equals("DELETE")
                && r.getPath().equals("/api/v1/namespaces/" + NAMESPACE + "/pods/" + helper.join());
    }

    private static Predicate<RecordedRequest> releases(String container) {
        return r -> MockCluster.isExec(r) && r.getPath().contains("&container=" + container + "&")
                && MockCluster.commandOf(r).equals(CaptureArgv.release());
    }

    private String requests() {
        return seen.stream().map(r -> r.getMethod() + " " + r.getPath()).collect(Collectors.joining("\n"));
    }

    private static void assertWholeBundle(Path out, Strategy strategy) throws Exception {
        Path bundle = MetadataBundle.directoryFor(out).resolve(NAMESPACE + "_" + POD);
        try (Stream<Path> files = Files.list(bundle)) {
            assertEquals(BUNDLE, files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()));
        }
        assertEquals("32768\t60999\n", Files.readString(bundle.resolve("ip_local_port_range.txt")));
        assertEquals("# iptables-save\n", Files.readString(bundle.resolve("iptables-save.txt")));
        String pod = Files.readString(bundle.resolve("pod.txt"));
        assertTrue(pod.contains("strategy: " + strategy.flagValue() + "\n") && pod.contains("run: "), pod);
        String commands = Files.readString(bundle.resolve("commands.txt"));
        assertTrue(commands.contains("tcpdump -U -w -") || commands.contains("tcpdump"), commands);
        assertTrue(commands.endsWith("\n"), commands);
        assertTrue(Files.readString(bundle.resolve("meshcap.txt")).startsWith("meshcap "));
    }

    /** {@link PcapFiles#LO_SMALL}'s packets {@link #MERGE_REPEATS} times, each round a second later. */
    private static byte[] bigCapture() {
        byte[] small = MockCluster.resource(PcapFiles.LO_SMALL);
        List<Integer> ends = PcapFiles.recordEnds(small);
        int header = 24;
        ByteArrayOutputStream big = new ByteArrayOutputStream();
        big.write(small, 0, header);
        byte[] records = Arrays.copyOfRange(small, header, ends.get(ends.size() - 1));
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        ends.subList(0, ends.size() - 1).forEach(end -> starts.add(end - header));
        for (int round = 0; round < MERGE_REPEATS; round++) {
            ByteBuffer copy = ByteBuffer.wrap(records.clone()).order(ByteOrder.LITTLE_ENDIAN);
            for (int start : starts) {
                copy.putInt(start, copy.getInt(start) + round);
            }
            big.write(copy.array(), 0, copy.capacity());
        }
        return big.toByteArray();
    }
}
