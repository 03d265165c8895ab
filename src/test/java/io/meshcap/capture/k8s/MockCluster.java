package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.dsl.Emitable;
import io.fabric8.mockwebserver.dsl.EventDoneable;
import io.fabric8.mockwebserver.dsl.TimesOnceableOrHttpHeaderable;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.WebSocketMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import io.meshcap.capture.StopSignal;
import java.util.stream.Collectors;

/**
 * A fake cluster on fabric8's mock server in CRUD mode: pods are stored for real; exec sessions are scripted
 * as websocket frames (first byte the channel: 1 stdout, 2 stderr, 3 status), as the kubelet sends them; access
 * reviews are answered as an authorizer would, allowing everything not {@link #deny denied}.
 */
public final class MockCluster {

    static final String NAMESPACE = "shop";
    static final String POD = "reviews-v1-7d9c";
    static final String NODE = "worker-2";
    static final String PROXY_ID = "4f1e0c9a2b3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789ab";
    static final String RUN_ID = "t3st01";
    static final String DEBUG = "meshcap-" + RUN_ID;

    private static final byte STDOUT = 1;
    private static final byte STDERR = 2;
    private static final byte STATUS = 3;
    private static final String SUCCESS = "{\"metadata\":{},\"status\":\"Success\"}";
    private static final int FRAME_DELAY_MS = 5;

    static final String ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

    final KubernetesMockServer server;
    final KubernetesClient client;
    private final Set<Permission> denied = ConcurrentHashMap.newKeySet();
    private final List<String> reviews = new CopyOnWriteArrayList<>();

    public MockCluster(KubernetesMockServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
        server.expect().post().withPath(ACCESS_REVIEWS).andReply(201, this::review).always();
    }

    /** From now on the authorizer denies {@code permission}. */
    public void deny(Permission permission) {
        denied.add(permission);
    }

    /** The body of every access review asked so far, as it came (reading a request's body consumes it). */
    List<String> accessReviews() {
        return List.copyOf(reviews);
    }

    /** The access review in {@code request}, answered. */
    private SelfSubjectAccessReview review(RecordedRequest request) {
        String body = request.getUtf8Body();
        reviews.add(body);
        SelfSubjectAccessReview review = client.getKubernetesSerialization().unmarshal(body,
                SelfSubjectAccessReview.class);
        ResourceAttributes asked = review.getSpec().getResourceAttributes();
        Permission permission = new Permission(asked.getVerb(), Objects.requireNonNullElse(asked.getGroup(), ""),
                asked.getResource(), Objects.requireNonNullElse(asked.getSubresource(), ""),
                Objects.requireNonNullElse(asked.getNamespace(), ""));
        review.setStatus(new SubjectAccessReviewStatusBuilder().withAllowed(!denied.contains(permission))
                .withReason(denied.contains(permission) ? "" : "RBAC: allowed by the test").build());
        return review;
    }

    /** The run of a command in this cluster, with {@code settings}, notes into {@code notes}, never stopped. */
    ClusterRun run(LaunchSettings settings, List<String> notes) {
        return new ClusterRun(client, settings, notes::add, StopSignal.manual());
    }

    /** The target with its istio-proxy container privileged: the exec strategy captures in it, creating nothing. */
    static PodBuilder privilegedProxyPod() {
        return targetPod().editSpec().editLastContainer().editSecurityContext().withPrivileged(true)
                .endSecurityContext().endContainer().endSpec();
    }

    /** The target: app container "reviews" on 9080 plus istio-proxy, dual-stack, Running on worker-2. */
    static PodBuilder targetPod() {
        return new PodBuilder()
                .withNewMetadata()
                    .withName(POD).withNamespace(NAMESPACE)
                    .addToAnnotations("sidecar.istio.io/interceptionMode", "REDIRECT")
                    .addToAnnotations("traffic.sidecar.istio.io/excludeInboundPorts", "22")
                    .addToAnnotations("kubectl.kubernetes.io/default-container", "reviews")
                    .addToLabels("app", "reviews")
                .endMetadata()
                .withNewSpec()
                    .withNodeName(NODE)
                    .addNewContainer().withName("reviews").withImage("docker.io/istio/examples-bookinfo-reviews-v1:1.20.2")
                        .addNewPort().withContainerPort(9080).withProtocol("TCP").endPort()
                        .addNewPort().withContainerPort(5353).withProtocol("UDP").endPort()
                    .endContainer()
                    .addNewContainer().withName("istio-proxy").withImage("docker.io/istio/proxyv2:1.24.2")
                        .withNewSecurityContext().withRunAsUser(1337L).withPrivileged(false).endSecurityContext()
                    .endContainer()
                .endSpec()
                .withNewStatus()
                    .withPhase("Running")
                    .withPodIP("10.244.1.17")
                    .addNewPodIP("10.244.1.17")
                    .addNewPodIP("fd00:10:244:1::11")
                    .addToContainerStatuses(running("reviews", "containerd://0123456789abcdef0123"))
                    .addToContainerStatuses(running("istio-proxy", "containerd://" + PROXY_ID))
                .endStatus();
    }

    static ContainerStatus running(String name, String id) {
        return new ContainerStatusBuilder().withName(name).withContainerID(id)
                .withNewState().withNewRunning().endRunning().endState().build();
    }

    /** The target as it looks once meshcap's ephemeral container runs (the CRUD store cannot add it itself). */
    static Pod targetWithRunningDebugContainer() {
        return targetPod()
                .editSpec().addToEphemeralContainers(EphemeralContainerSpec.build(DEBUG, LaunchSettings.DEFAULT_IMAGE,
                        "istio-proxy", LaunchSettings.DEFAULT_LIFETIME)).endSpec()
                .editStatus()
                .addToEphemeralContainerStatuses(running(DEBUG, "containerd://aa" + PROXY_ID.substring(2)))
                .endStatus().build();
    }

    /** A kubeconfig in {@code directory} whose current context is this mock server, namespace {@link #NAMESPACE}. */
    public Path kubeconfig(Path directory) throws IOException {
        return Files.writeString(directory.resolve("config"), String.join("\n",
                "apiVersion: v1", "kind: Config",
                "clusters:", "- name: mock", "  cluster:",
                "    server: " + server.url("/").replaceAll("/$", ""), "    insecure-skip-tls-verify: true",
                "contexts:", "- name: mock", "  context: {cluster: mock, user: tester, namespace: " + NAMESPACE + "}",
                "current-context: mock",
                "users:", "- name: tester", "  user: {token: not-a-secret}", ""));
    }

    Pod create(Pod pod) {
        return client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
    }

    /**
     * Answers the JSON patch on pods/ephemeralcontainers (which the CRUD dispatcher cannot serve). The store
     * holds the pod as it is after the patch; the first {@code readsBefore} reads (discovery, and the read
     * the patch is computed from) see it as it was before.
     */
    void acceptEphemeralPatch(int readsBefore) {
        server.expect().get().withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD)
                .andReturn(200, targetPod().build()).times(readsBefore);
        server.expect().patch()
                .withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD + "/ephemeralcontainers")
                .andReturn(200, targetWithRunningDebugContainer()).once();
    }

    /** Refuses the ephemeral container patch with an API Status. */
    void refuseEphemeralPatch(int code, String reason, String message) {
        server.expect().patch()
                .withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD + "/ephemeralcontainers")
                .andReturn(code, new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
                        .withMessage(message).build())
                .once();
    }

    /** Scripts one exec of exactly {@code argv} in {@code pod}/{@code container}. */
    Emitable<EventDoneable<TimesOnceableOrHttpHeaderable<Void>>> exec(String pod, String container, List<String> argv) {
        return server.expect().get()
                .withPath(execPath(pod, container, argv))
                .andUpgradeToWebSocket().open().waitFor(FRAME_DELAY_MS);
    }

    /** A short command that prints {@code stdout} and exits with {@code exitCode}. */
    /** tcpdump is present in {@code pod}/{@code container}: its probe answers with a version. */
    void tcpdumpIn(String pod, String container) {
        execReturns(pod, container, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
    }

    /**
     * A capture exec as the helper's tcpdump streams it: meshcap's pid line and "listening on {@code iface}" on
     * stderr, the {@code recording} on stdout, then what tcpdump {@code saysAtEnd} (its counts, or its error) and
     * {@code exitCode}.
     */
    void captureStreams(String pod, String container, List<String> argv, String iface, byte[] recording,
            String saysAtEnd, int exitCode) {
        exec(pod, container, argv)
                .andEmit(stderr("meshcap-pid 9001\ntcpdump: listening on " + iface + "\n"))
                .waitFor(FRAME_DELAY_MS).andEmit(stdout(recording))
                .waitFor(FRAME_DELAY_MS).andEmit(stderr(saysAtEnd))
                .waitFor(FRAME_DELAY_MS).andEmit(new StatusStreamMessage(exitCode))
                .done().once();
    }

    void execReturns(String pod, String container, List<String> argv, String stdout, int exitCode) {
        exec(pod, container, argv)
                .andEmit(stdout(stdout.getBytes(StandardCharsets.UTF_8)))
                .waitFor(FRAME_DELAY_MS).andEmit(new StatusStreamMessage(exitCode))
                .done().once();
    }

    /**
     * Scripts one run of every in-pod fact command ({@link CaptureArgv#facts()}): each prints its entry of
     * {@code outputs} (nothing when it has none) and exits 0.
     */
    void factsReturn(String pod, String container, Map<String, String> outputs) {
        CaptureArgv.facts().forEach((name, argv) -> execReturns(pod, container, argv, outputs.getOrDefault(name, ""), 0));
    }

    /**
     * The istio-proxy container of {@code pod} during a --decrypt run {@code runId}: Envoy's config dump before the
     * filter (src/test/resources/envoy/config-dump-reviews.json), then the resource {@code after} on every later
     * read (its key log path made the run's); {@code cat /dev/null}, the key file's {@code cat} (printing
     * {@code keys}, unless null) and {@code rm -f}.
     */
    void sidecarLogsKeys(String pod, String runId, String after, String keys) {
        sidecarLogsKeys(pod, runId, text("/envoy/config-dump-reviews.json"), after, keys);
    }

    /** {@link #sidecarLogsKeys(String, String, String, String)} with the config dump {@code before} the filter. */
    void sidecarLogsKeys(String pod, String runId, String before, String after, String keys) {
        String keyFile = "/etc/istio/proxy/meshcap-" + runId + "-tls-keys.log";
        List<String> configDump = List.of("pilot-agent", "request", "GET", "config_dump");
        execReturns(pod, "istio-proxy", configDump, before, 0);
        exec(pod, "istio-proxy", configDump)
                .andEmit(stdout(text(after).replace(RUN_ID, runId).getBytes(StandardCharsets.UTF_8)))
                .waitFor(FRAME_DELAY_MS).andEmit(new StatusStreamMessage(0))
                .done().always();
        execReturns(pod, "istio-proxy", List.of("cat", "/dev/null"), "", 0);
        if (keys != null) {
            execReturns(pod, "istio-proxy", List.of("cat", keyFile), keys, 0);
        }
        execReturns(pod, "istio-proxy", List.of("rm", "-f", keyFile), "", 0);
    }

    /** A command whose executable is missing: the runtime's message and exit 127. */
    void execMissing(String pod, String container, List<String> argv) {
        exec(pod, container, argv)
                .andEmit(stderr("exec: \"" + argv.get(0) + "\": executable file not found in $PATH\n"))
                .waitFor(FRAME_DELAY_MS).andEmit(new StatusStreamMessage(CommandResult.NOT_FOUND))
                .done().once();
    }

    static String execPath(String pod, String container, List<String> argv) {
        String commands = argv.stream()
                .map(a -> "command=" + URLEncoder.encode(a, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("&"));
        return "/api/v1/namespaces/" + NAMESPACE + "/pods/" + pod + "/exec?" + commands + "&container=" + container
                + "&stdout=true&stderr=true";
    }

    static WebSocketMessage stdout(byte[] bytes) {
        return frame(STDOUT, bytes, false, 0);
    }

    /**
     * A stdout frame sent {@code delayMs} after the previous one (a {@code waitFor} before {@code andEmit}
     * does not delay a message that brings its own delay, as every frame here does).
     */
    static WebSocketMessage stdoutAfter(long delayMs, byte[] bytes) {
        return frame(STDOUT, bytes, false, delayMs);
    }

    static WebSocketMessage stderrAfter(long delayMs, String text) {
        return frame(STDERR, text.getBytes(StandardCharsets.UTF_8), false, delayMs);
    }

    /** The exec status frame of a command that exited 0, sent {@code delayMs} after the previous frame. */
    static WebSocketMessage successAfter(long delayMs) {
        return frame(STATUS, SUCCESS.getBytes(StandardCharsets.UTF_8), false, delayMs);
    }

    static WebSocketMessage stderr(String text) {
        return frame(STDERR, text.getBytes(StandardCharsets.UTF_8), false, 0);
    }

    /** A frame after which the mock drops the connection without sending an exit status. */
    static WebSocketMessage stdoutThenHangUp(byte[] bytes) {
        return frame(STDOUT, bytes, true, 0);
    }

    private static WebSocketMessage frame(byte channel, byte[] bytes, boolean closeAfter, long delayMs) {
        byte[] body = new byte[bytes.length + 1];
        body[0] = channel;
        System.arraycopy(bytes, 0, body, 1, bytes.length);
        return new WebSocketMessage(delayMs, body, closeAfter, true);
    }

    /** Every request the mock has received so far (drains its queue). */
    public List<RecordedRequest> requests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }

    /** The argv of an exec request, decoded from its {@code command=} parameters. */
    static List<String> commandOf(RecordedRequest request) {
        String query = request.getPath().substring(request.getPath().indexOf('?') + 1);
        return Arrays.stream(query.split("&"))
                .filter(p -> p.startsWith("command="))
                .map(p -> URLDecoder.decode(p.substring("command=".length()), StandardCharsets.UTF_8))
                .toList();
    }

    /** Whether a request creates, changes or deletes something (an access review only asks a question). */
    static boolean changesSomething(RecordedRequest request) {
        return !request.getMethod().equals("GET") && !request.getPath().startsWith(ACCESS_REVIEWS);
    }

    static boolean isExec(RecordedRequest request) {
        return request.getPath().contains("/exec?");
    }

    static String text(String name) {
        return new String(resource(name), StandardCharsets.UTF_8);
    }

    static byte[] resource(String name) {
        try (InputStream in = MockCluster.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
