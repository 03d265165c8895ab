package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import io.meshcap.tls.KeyLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pod's sidecar made to log TLS keys (--decrypt) against the mock API server: the EnvoyFilter it receives (its
 * golden), "decrypting" only once Envoy's config dump shows the key log, the keys read back, and the filter and the
 * key file removed on every way out (done, no key log within the timeout, a stop while waiting, a refusal).
 */
@EnableKubernetesMockClient(crud = true)
class EnvoyKeyLogTest {

    private static final String KEY_FILE = "/etc/istio/proxy/meshcap-t3st01-tls-keys.log";
    private static final String FILTERS = "/apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters";
    private static final String FILTER = "meshcap-keylog-t3st01-reviews-v1-7d9c";
    private static final String RANDOM = "a1".repeat(32);
    private static final String KEYS = "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + RANDOM + " " + "0b".repeat(48) + "\n"
            + "SERVER_HANDSHAKE_TRAFFIC_SECRET " + RANDOM + " " + "0c".repeat(48) + "\n"
            + "CLIENT_TRAFFIC_SECRET_0 " + RANDOM + " " + "0d".repeat(48) + "\n"
            + "SERVER_TRAFFIC_SECRET_0 " + RANDOM + " " + "0e".repeat(48) + "\n"
            + "EXPORTER_SECRET " + RANDOM + " " + "0f".repeat(48) + "\n";

    private static final String APPLYING = "note: pod shop/" + POD + ": applying EnvoyFilter shop/" + FILTER
            + ": Envoy logs TLS keys of 2 inbound mTLS filter chains and 1 outbound mTLS cluster into " + KEY_FILE
            + " in container istio-proxy (in the pod's memory)";
    private static final List<String> CONFIG_DUMP = List.of("pilot-agent", "request", "GET", "config_dump");
    private static final String WITHOUT = "; capturing without decryption";

    private static final ObjectMapper JSON = new ObjectMapper();

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private final List<String> notes = new CopyOnWriteArrayList<>();
    /** The run of the last {@link #keyLog}: what it has in the cluster is its footprint. */
    private ClusterRun run;

    @BeforeEach
    void setUp() {
        cluster = new MockCluster(server, client);
        cluster.create(MockCluster.targetPod().build());
    }

    /** When legs stopped long enough ago that Envoy has flushed its key file: finishing reads it at once. */
    private static Instant longAgo() {
        return Instant.now().minus(Duration.ofMinutes(1));
    }

    /** What the test itself sent to set the cluster up is not meshcap's. */
    private void forgetSetUp() throws InterruptedException {
        cluster.requests();
    }

    private EnvoyKeyLog keyLog(Duration timeout, StopSignal stop) {
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        LaunchSettings settings = LaunchSettings.of(Strategy.EXEC).withRunId(MockCluster.RUN_ID)
                .withDecryption(timeout);
        run = new ClusterRun(client, settings, notes::add, stop);
        return new EnvoyKeyLog(run, new PodExec(client, stop), pod);
    }

    /** The requests that create or delete an EnvoyFilter (not the test's own reads). */
    private List<RecordedRequest> filterRequests(List<RecordedRequest> log) {
        return log.stream().filter(r -> r.getPath().startsWith(FILTERS) && !r.getMethod().equals("GET")).toList();
    }

    private List<String> execs(List<RecordedRequest> log) {
        return log.stream().filter(MockCluster::isExec).map(r -> MockCluster.commandOf(r).toString()).toList();
    }

    private List<GenericKubernetesResource> storedFilters() {
        return client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE).list()
                .getItems();
    }

    @Test
    void theFilterIsAppliedDecryptingIsSaidOnceEnvoyShowsItAndTheKeysAreReadBackAndEverythingRemoved()
            throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        Optional<Instant> since = logging.start();
        assertTrue(since.isPresent(), notes.toString());
        assertEquals(since, logging.since());
        assertEquals(APPLYING, notes.get(0));
        List<GenericKubernetesResource> applied = storedFilters();
        assertEquals(1, applied.size(), "the filter is there while the capture runs");
        assertEquals(List.of("EnvoyFilter shop/" + FILTER), run.footprint().objects(), "what a second Ctrl-C names");
        Instant legsStopped = Instant.now();
        long finishing = System.nanoTime();
        logging.finish(legsStopped);
        assertTrue(System.nanoTime() - finishing >= TimeUnit.MILLISECONDS.toNanos(1150), "the keys are read only "
                + "once Envoy has flushed its file, 1.2 s after the legs stopped");
        assertEquals(List.of(), run.footprint().objects());
        KeyLog keys = logging.keys();

        // What the API server stored (the mock's CRUD store reads the request's body), less what the server adds.
        applied.get(0).getMetadata().setResourceVersion(null);
        applied.get(0).getMetadata().setUid(null);
        applied.get(0).getMetadata().setCreationTimestamp(null);
        applied.get(0).getMetadata().setGeneration(null);
        assertEquals(KeyLogFilterSpecTest.golden(), client.getKubernetesSerialization().asYaml(applied.get(0)));

        assertEquals(KEYS, new String(keys.toBytes(), StandardCharsets.US_ASCII));
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("pod shop/" + POD + ": decrypting: Envoy's configuration"
                + " shows the key log on all 3 sockets")), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.contains("connections opened before now cannot be decrypted")),
                notes.toString());
        List<RecordedRequest> log = cluster.requests();
        List<RecordedRequest> filters = filterRequests(log);
        assertEquals(List.of("POST " + FILTERS, "DELETE " + FILTERS + "/" + FILTER),
                filters.stream().map(r -> r.getMethod() + " " + r.getPath()).toList());
        assertEquals(List.of("[pilot-agent, request, GET, config_dump]", "[cat, /dev/null]",
                "[pilot-agent, request, GET, config_dump]", "[cat, " + KEY_FILE + "]", "[rm, -f, " + KEY_FILE + "]"),
                execs(log));
        assertEquals(List.of(), storedFilters());
        assertTrue(log.stream().filter(MockCluster::changesSomething).allMatch(r -> r.getPath().startsWith(FILTERS)
                || MockCluster.isExec(r)), "nothing but the filter is created or deleted");

        logging.finish(longAgo());
        assertEquals(List.of(), filterRequests(cluster.requests()), "finishing again does nothing");
    }

    @Test
    void whenEnvoyNeverShowsTheKeyLogTheFilterIsRemovedAndTheCaptureGoesOnWithoutKeys() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(2), StopSignal.manual());

        Optional<Instant> since = logging.start();

        assertEquals(Optional.empty(), since);
        String said = notes.stream().filter(n -> n.contains("not decrypting")).findFirst().orElseThrow(
                () -> new AssertionError(notes.toString()));
        Matcher waited = Pattern.compile("^warning: pod shop/" + POD + ": not decrypting: (\\d+\\.\\d) s after")
                .matcher(said);
        assertTrue(waited.find(), said);
        double seconds = Double.parseDouble(waited.group(1));
        assertTrue(seconds >= 2.0 && seconds < 60, "the 2 s it waited, in seconds: " + said);
        assertTrue(said.contains(" s after EnvoyFilter shop/" + FILTER + " was applied, Envoy's configuration still shows"
                + " no key log (Istio rejected the filter or did not push it; see istioctl analyze -n shop and istioctl"
                + " proxy-status); removed it; capturing without decryption (--decrypt-timeout waits longer)"), said);
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("POST", "DELETE"), filterRequests(log).stream().map(RecordedRequest::getMethod).toList());
        assertEquals("[rm, -f, " + KEY_FILE + "]", execs(log).get(execs(log).size() - 1));
        long looks = execs(log).stream().filter(CONFIG_DUMP.toString()::equals).count();
        assertTrue(looks >= 2 && looks <= 5, "one look before the filter, then one a second for 2 s: " + looks);
        assertEquals(List.of(), storedFilters());
        logging.finish(longAgo());
        assertTrue(logging.keys().isEmpty(), "no keys");
        assertTrue(execs(cluster.requests()).isEmpty(), "nothing is read from the pod afterwards");
    }

    @Test
    void aStopWhileWaitingForEnvoyEndsTheWaitAndTheSourcesCleanUpStillRemovesTheFilter() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews.json", null);
        StopSignal stop = StopSignal.manual();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(120), stop);

        CompletableFuture<Optional<Instant>> starting = CompletableFuture.supplyAsync(logging::start);
        List<RecordedRequest> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (filterRequests(seen).isEmpty() && System.nanoTime() < deadline) {
            RecordedRequest request = server.takeRequest(100, TimeUnit.MILLISECONDS);
            if (request != null) {
                seen.add(request);
            }
        }
        assertEquals(1, filterRequests(seen).size(), "the filter was applied");
        stop.requestStop();
        Exception e = assertThrows(Exception.class, () -> starting.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof MeshcapException, e.toString());
        logging.finish(longAgo());

        seen.addAll(cluster.requests());
        assertEquals(List.of("POST", "DELETE"), filterRequests(seen).stream().map(RecordedRequest::getMethod).toList());
        assertEquals("[rm, -f, " + KEY_FILE + "]", execs(seen).get(execs(seen).size() - 1),
                "the key file is removed although a stop was requested");
        assertEquals(List.of(), storedFilters());
    }

    /** The config dump of the fixture with {@code count} more Istio mTLS clusters like its ratings cluster. */
    private static String withMoreClusters(int count) throws IOException {
        ObjectNode dump = (ObjectNode) JSON.readTree(MockCluster.text("/envoy/config-dump-reviews.json"));
        for (JsonNode config : dump.path("configs")) {
            if (config.path("@type").asText().endsWith("ClustersConfigDump")) {
                ArrayNode clusters = (ArrayNode) config.path("dynamic_active_clusters");
                JsonNode ratings = clusters.get(clusters.size() - 1);
                for (int i = 0; i < count; i++) {
                    ObjectNode copy = ratings.deepCopy();
                    ((ObjectNode) copy.path("cluster")).put("name",
                            "outbound|9080||svc-" + i + ".shop.svc.cluster.local");
                    clusters.add(copy);
                }
            }
        }
        return JSON.writeValueAsString(dump);
    }

    /**
     * Key logging started on a sidecar with {@code moreClusters} more Istio mTLS clusters than the fixture, of which
     * Envoy's configuration shows the key log on the fixture's three sockets only, when the timeout (as short as it
     * gets: one look) has passed.
     */
    private EnvoyKeyLog partlyDecrypting(int moreClusters) throws IOException {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, withMoreClusters(moreClusters),
                "/envoy/config-dump-reviews-key-log.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofMillis(1), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        return logging;
    }

    private String partlyNote() {
        return notes.stream().filter(n -> n.contains("decrypting only partly")).findFirst()
                .orElseThrow(() -> new AssertionError(notes.toString()));
    }

    @Test
    void whenEnvoyShowsTheKeyLogOnSomeSocketsOnlyItDecryptsPartlyAndNamesTheFirstFewMissing() throws Exception {
        EnvoyKeyLog logging = partlyDecrypting(8);

        String said = partlyNote();
        assertTrue(said.contains(" Envoy's configuration shows the key log on 3 of 11 sockets; not on cluster "
                + "outbound|9080||svc-0.shop.svc.cluster.local, cluster outbound|9080||svc-1.shop.svc.cluster.local, "
                + "cluster outbound|9080||svc-2.shop.svc.cluster.local, cluster outbound|9080||svc-3.shop.svc.cluster"
                + ".local, cluster outbound|9080||svc-4.shop.svc.cluster.local and 3 more"), said);
        assertEquals(1, storedFilters().size(), "the filter stays for what it does decrypt");
        logging.finish(longAgo());
        assertEquals(List.of(), storedFilters());
    }

    @Test
    void aSidecarThatKnowsTooManyClustersForOneFilterGetsItsInboundChainsPatchedAndTheReasonIsSaid()
            throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, withMoreClusters(2500),
                "/envoy/config-dump-reviews-key-log.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());

        Optional<Instant> since = logging.start();

        assertTrue(since.isPresent(), notes.toString());
        String said = notes.stream().filter(n -> n.contains("outbound mTLS leg")).findFirst()
                .orElseThrow(() -> new AssertionError(notes.toString()));
        assertTrue(said.startsWith("warning: pod shop/" + POD + ": cannot decrypt the outbound mTLS leg: the sidecar "
                + "knows 2501 outbound mTLS clusters, and a patch for each would make EnvoyFilter shop/" + FILTER
                + " "), said);
        assertTrue(said.endsWith(" MB, more than the API server keeps in one object; an Istio Sidecar resource whose "
                + "egress lists only the hosts this workload calls makes it small enough"), said);
        // 2500 patches of about 550 bytes each: more than the 1 MiB meshcap applies at most, far less than 10 MB.
        Matcher size = Pattern.compile(" would make EnvoyFilter \\S+ (\\d+\\.\\d) MB,").matcher(said);
        assertTrue(size.find(), said);
        double megabytes = Double.parseDouble(size.group(1));
        assertTrue(megabytes > 1.0 && megabytes < 10, said);
        assertTrue(notes.stream().anyMatch(n -> n.contains("decrypting: Envoy's configuration shows the key log on all"
                + " 2 sockets")), notes.toString());
        List<GenericKubernetesResource> applied = storedFilters();
        assertEquals(List.of("FILTER_CHAIN", "FILTER_CHAIN"), JSON.valueToTree(applied.get(0).getAdditionalProperties()
                .get("spec")).path("configPatches").findValuesAsText("applyTo"));
        logging.finish(longAgo());
        assertEquals(List.of(), storedFilters());
    }

    @Test
    void withoutPermissionToCreateEnvoyFiltersNothingIsAppliedAndTheRoleIsNamed() throws Exception {
        cluster.deny(new Permission("create", "networking.istio.io", "envoyfilters", "", NAMESPACE));
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        ClusterRun run = cluster.run(LaunchSettings.of(Strategy.EXEC).withRunId(MockCluster.RUN_ID)
                .withDecryption(Duration.ofSeconds(30)), notes);
        forgetSetUp();

        MeshcapException e = assertThrows(MeshcapException.class, () -> EnvoyKeyLog.requireAllowed(run, pod));

        assertEquals("forbidden: you may not create envoyfilters.networking.istio.io in namespace shop (the API "
                + "server's answer to a SelfSubjectAccessReview, as kubectl auth can-i asks it), which --decrypt needs;"
                + " grant it (see examples/rbac.yaml, Role meshcap-decrypt) or leave --decrypt out", e.getMessage());
        assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::changesSomething).toList());
    }

    @Test
    void whenExactlyFiveSocketsLackTheKeyLogAllFiveAreNamed() throws Exception {
        EnvoyKeyLog logging = partlyDecrypting(5);

        String said = partlyNote();
        assertTrue(said.endsWith(" Envoy's configuration shows the key log on 3 of 8 sockets; not on cluster "
                + "outbound|9080||svc-0.shop.svc.cluster.local, cluster outbound|9080||svc-1.shop.svc.cluster.local, "
                + "cluster outbound|9080||svc-2.shop.svc.cluster.local, cluster outbound|9080||svc-3.shop.svc.cluster"
                + ".local, cluster outbound|9080||svc-4.shop.svc.cluster.local"), said);
        logging.finish(longAgo());
    }

    @Test
    void whenPilotAgentCannotGiveEnvoysConfigurationNothingIsAppliedAndItsErrorIsSaid() throws Exception {
        cluster.exec(POD, "istio-proxy", CONFIG_DUMP)
                .andEmit(MockCluster.stderr("Error: dial tcp 127.0.0.1:15000: connect: connection refused\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());
        logging.finish(longAgo());

        assertEquals(List.of("warning: pod shop/" + POD + ": not decrypting: Envoy's configuration could not be read in"
                + " container istio-proxy ('pilot-agent request GET config_dump' exited 1: Error: dial tcp"
                + " 127.0.0.1:15000: connect: connection refused)" + WITHOUT), notes);
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("[pilot-agent, request, GET, config_dump]"), execs(log));
        assertEquals(List.of(), filterRequests(log));
        assertEquals(List.of(), run.footprint().objects());
    }

    @Test
    void aConfigDumpThatIsNotEnvoysIsSaidAndNothingIsApplied() throws Exception {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, "{\"status\": \"ok\"}", 0);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());

        assertEquals(List.of("warning: pod shop/" + POD + ": not decrypting: pilot-agent's config dump is not Envoy's"
                + " (not an Envoy config dump: it has no \"configs\" list)" + WITHOUT), notes);
        assertEquals(List.of(), filterRequests(cluster.requests()));
    }

    @Test
    void aSidecarWithoutCatIsNotPatchedSinceItsKeysCouldNotBeReadBack() throws Exception {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, MockCluster.text("/envoy/config-dump-reviews.json"), 0);
        cluster.execMissing(POD, "istio-proxy", List.of("cat", "/dev/null"));
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());

        assertEquals(List.of("warning: pod shop/" + POD + ": not decrypting: the key log could not be read back from"
                + " container istio-proxy (its image has no cat, as distroless images have none)" + WITHOUT), notes);
        assertEquals(List.of(), filterRequests(cluster.requests()));
    }

    /**
     * Key logging started on the fixture's sidecar with the API server refusing the filter ({@code code},
     * {@code message}): the capture goes on without keys, with nothing to delete, name on a second Ctrl-C or remove
     * from the pod.
     */
    private void startWithTheFilterRefused(int code, String reason, String message) throws Exception {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, MockCluster.text("/envoy/config-dump-reviews.json"), 0);
        cluster.execReturns(POD, "istio-proxy", List.of("cat", "/dev/null"), "", 0);
        server.expect().post().withPath(FILTERS).andReturn(code, new StatusBuilder().withStatus("Failure")
                .withCode(code).withReason(reason).withMessage(message).build()).once();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());
        logging.finish(longAgo());

        assertEquals(List.of(), run.footprint().objects(), "nothing to name on a second Ctrl-C");
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("POST"), filterRequests(log).stream().map(RecordedRequest::getMethod).toList());
        assertEquals(List.of("[pilot-agent, request, GET, config_dump]", "[cat, /dev/null]"), execs(log),
                "no key file to remove");
    }

    @Test
    void aClusterWithoutIstiosEnvoyFilterIsSaidAndNothingIsLeftToRemove() throws Exception {
        startWithTheFilterRefused(404, "NotFound", "the server could not find the requested resource");

        assertEquals(List.of(APPLYING, "warning: pod shop/" + POD + ": not decrypting: this cluster does not serve"
                + " networking.istio.io/v1alpha3 EnvoyFilter (is Istio installed?)" + WITHOUT), notes);
    }

    @Test
    void aKeyFileThatCannotBeReadIsSaidWithTheKeysThatAreLost() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", null);
        cluster.exec(POD, "istio-proxy", List.of("cat", KEY_FILE))
                .andEmit(MockCluster.stderr("cat: " + KEY_FILE + ": Permission denied\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        notes.clear();

        logging.finish(longAgo());

        assertTrue(logging.keys().isEmpty());
        assertEquals(List.of("warning: pod shop/" + POD + ": could not read the key log " + KEY_FILE + " in container"
                + " istio-proxy (cat exited 1: cat: " + KEY_FILE + ": Permission denied); the capture holds no keys of"
                + " shop/" + POD), notes);
        assertEquals(List.of(), storedFilters());
    }

    /** The config dump {@code resource} as {@code change} leaves it. */
    private static String changed(String resource, java.util.function.Consumer<ObjectNode> change) throws IOException {
        ObjectNode dump = (ObjectNode) JSON.readTree(MockCluster.text(resource));
        change.accept(dump);
        return JSON.writeValueAsString(dump);
    }

    /** The entries of {@code dump}'s config of {@code type} (ListenersConfigDump, ClustersConfigDump) in {@code field}. */
    private static ArrayNode entries(ObjectNode dump, String type, String field) {
        for (JsonNode config : dump.path("configs")) {
            if (config.path("@type").asText().endsWith(type)) {
                return (ArrayNode) config.path(field);
            }
        }
        throw new AssertionError("no " + type);
    }

    private static ObjectNode virtualInbound(ObjectNode dump) {
        for (JsonNode listener : entries(dump, "ListenersConfigDump", "dynamic_listeners")) {
            if (listener.path("name").asText().equals("virtualInbound")) {
                return (ObjectNode) listener;
            }
        }
        throw new AssertionError("no virtualInbound");
    }

    /**
     * The fixture's sidecar, whose config dump is the fixture's before the filter and {@code after} on every later
     * read; {@code cat /dev/null} and the key file's {@code rm -f} run.
     */
    private void sidecarShowing(String after) {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, MockCluster.text("/envoy/config-dump-reviews.json"), 0);
        cluster.exec(POD, "istio-proxy", CONFIG_DUMP).andEmit(MockCluster.stdout(after.getBytes(StandardCharsets.UTF_8)))
                .waitFor(5).andEmit(new StatusStreamMessage(0)).done().always();
        cluster.execReturns(POD, "istio-proxy", List.of("cat", "/dev/null"), "", 0);
        cluster.execReturns(POD, "istio-proxy", List.of("rm", "-f", KEY_FILE), "", 0);
    }

    @Test
    void thePlanSaysWhatWouldBeAppliedAndCheckedWithoutApplyingAnything() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(List.of(
                "decrypt: (--print-plan applies nothing)",
                "  checked:  you may create and delete envoyfilters.networking.istio.io and exec into pods in namespace"
                        + " shop (SelfSubjectAccessReview)",
                "  checked:  Envoy's configuration (pilot-agent request GET config_dump in container istio-proxy) has 2"
                        + " inbound mTLS filter chains and 1 outbound mTLS cluster; cat runs there (to read the keys"
                        + " back)",
                "  applies:  EnvoyFilter shop/" + FILTER + " (networking.istio.io/v1alpha3), labels"
                        + " app.kubernetes.io/managed-by=meshcap,meshcap.io/run=t3st01",
                "  selects:  the pods labelled app=reviews (workloadSelector); the key log's local_address_range"
                        + " 10.244.1.17/32, fd00:10:244:1::11/128 keeps other replicas' keys out",
                "  key log:  " + KEY_FILE + " in container istio-proxy (in the pod's memory), read while and after"
                        + " capturing, then removed",
                "  patches:  inbound chain 0.0.0.0_9080 (port 9080, tls, ALPN istio-http/1.0,istio-http/1.1,istio-h2),"
                        + " inbound chain 0.0.0.0_9080 (port 9080, tls), cluster"
                        + " outbound|9080||ratings.shop.svc.cluster.local",
                "  waits:    until Envoy's configuration shows the key log on all 3 sockets, at most 30 s"
                        + " (--decrypt-timeout)",
                "  removes:  EnvoyFilter shop/" + FILTER + " and the key log when the capture ends, however it ends"),
                logging.plan());

        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of(CONFIG_DUMP.toString(), "[cat, /dev/null]"), execs(log));
        assertEquals(List.of(), log.stream().filter(MockCluster::changesSomething).toList(), "nothing applied");
        assertEquals(List.of(), notes);
    }

    @Test
    void thePlanOfASidecarWithoutIstioMtlsSaysItWouldNotDecrypt() throws Exception {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, "{\"configs\": []}", 0);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        List<String> plan = logging.plan();

        assertEquals(List.of("decrypt: (--print-plan applies nothing)",
                "  checked:  you may create and delete envoyfilters.networking.istio.io and exec into pods in namespace"
                        + " shop (SelfSubjectAccessReview)",
                "  would not decrypt (see above): the capture would go on without keys"), plan);
        assertEquals(List.of("warning: pod shop/" + POD + ": not decrypting: Envoy has no Istio mTLS filter chain or"
                + " cluster to log keys for (mTLS disabled, or not a sidecar)" + WITHOUT), notes);
        assertEquals(List.of(CONFIG_DUMP.toString()), execs(cluster.requests()), "no cat without sockets to patch");
    }

    @Test
    void decryptingIsRefusedForAPodWithoutSidecarOrWithoutLabels() {
        PodInfo plain = PodDiscovery.describe(MockCluster.targetPod().editMetadata().withName("batch-1").endMetadata()
                .editSpec().removeMatchingFromContainers(c -> c.getName().equals("istio-proxy")).endSpec().build());
        PodInfo unlabelled = PodDiscovery.describe(MockCluster.targetPod().editMetadata().withLabels(java.util.Map.of())
                .endMetadata().build());

        assertEquals("pod shop/batch-1 has no Istio sidecar (istio-proxy), so there are no Envoy TLS keys to log; leave"
                + " --decrypt out", assertThrows(MeshcapException.class, () -> EnvoyKeyLog.requireSidecar(plain))
                .getMessage());
        assertEquals("pod shop/" + POD + " has no labels, so an EnvoyFilter cannot select its sidecar alone; label it"
                + " (kubectl label pod -n shop " + POD + " meshcap=target) or leave --decrypt out",
                assertThrows(MeshcapException.class, () -> EnvoyKeyLog.requireSidecar(unlabelled)).getMessage());
        EnvoyKeyLog.requireSidecar(PodDiscovery.describe(MockCluster.targetPod().build()));
    }

    /** {@code tail -c +N KEY_FILE}: the key file from byte N on, 1 the first. */
    private static List<String> tail(long from) {
        return List.of("tail", "-c", "+" + from, KEY_FILE);
    }

    @Test
    void aLiveStreamReadsTheNewWholeLinesOfTheKeyFileFromWhereTheLastReadEnded() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        List<String> lines = KEYS.lines().map(line -> line + "\n").toList();
        String firstTwo = lines.get(0) + lines.get(1);
        String third = lines.get(2);
        String rest = lines.get(3) + lines.get(4);
        // Envoy's buffer flushed in the middle of the third line: that line is read whole, next time.
        cluster.execReturns(POD, "istio-proxy", tail(1), firstTwo + third.substring(0, 20), 0);
        cluster.execReturns(POD, "istio-proxy", tail(firstTwo.length() + 1), third + rest, 0);
        cluster.execReturns(POD, "istio-proxy", tail(KEYS.length() + 1), "", 0);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.readNew().isEmpty(), "nothing before key logging took effect");
        assertTrue(logging.start().isPresent(), notes.toString());
        forgetSetUp();

        assertEquals(firstTwo, new String(logging.readNew().toBytes(), StandardCharsets.US_ASCII));
        assertEquals(third + rest, new String(logging.readNew().toBytes(), StandardCharsets.US_ASCII));
        assertTrue(logging.readNew().isEmpty(), "nothing new");
        assertEquals(List.of(tail(1).toString(), tail(firstTwo.length() + 1).toString(),
                tail(KEYS.length() + 1).toString()), execs(cluster.requests()));
        assertEquals(Duration.ofSeconds(1), logging.period(), "as often as Envoy flushes its file");

        logging.finish(longAgo());
        assertEquals(KEYS, new String(logging.readNew().toBytes(), StandardCharsets.US_ASCII),
                "once finished, the whole file as read at the end");
        assertEquals(List.of("[cat, " + KEY_FILE + "]", "[rm, -f, " + KEY_FILE + "]"), execs(cluster.requests()));
    }

    @Test
    void aKeyFileEnvoyHasNotCreatedYetIsReadFromItsStartNextTime() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", null);
        cluster.exec(POD, "istio-proxy", tail(1))
                .andEmit(MockCluster.stderr("tail: cannot open '" + KEY_FILE + "' for reading: No such file or "
                        + "directory\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        cluster.execReturns(POD, "istio-proxy", tail(1), KEYS, 0);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        notes.clear();

        assertTrue(logging.readNew().isEmpty());
        assertEquals(5, logging.readNew().size());
        assertEquals(List.of(), notes, "a file not there yet is not worth a note");
        logging.finish(longAgo());
    }

    @Test
    void aSidecarWithoutTailIsSaidOnceAndItsKeysWaitForTheEndOfTheCapture() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        cluster.execMissing(POD, "istio-proxy", tail(1));
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        notes.clear();
        forgetSetUp();

        assertTrue(logging.readNew().isEmpty());
        assertTrue(logging.readNew().isEmpty());

        assertEquals(List.of("warning: pod shop/" + POD + ": the live stream cannot read the key log while capturing:"
                + " container istio-proxy has no tail; its keys go into the capture file when it ends"), notes);
        assertEquals(List.of(tail(1).toString()), execs(cluster.requests()), "tail is not tried again");
        logging.finish(longAgo());
        assertEquals(5, logging.keys().size());
    }

    @Test
    void afterAStopRequestTheLiveStreamReadsNothingAndTheEndStillReadsTheKeys() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        StopSignal stop = StopSignal.manual();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), stop);
        assertTrue(logging.start().isPresent(), notes.toString());
        forgetSetUp();

        stop.requestStop();

        assertTrue(logging.readNew().isEmpty());
        assertEquals(List.of(), execs(cluster.requests()));
        logging.finish(longAgo());
        assertEquals(5, logging.keys().size(), "clean-up runs whatever stopped the capture");
    }

    @Test
    void aKeyLogIstioPutsOnASocketThatIsNotIstioMtlsIsRemovedAtOnce() throws Exception {
        // The filter also reached the TLS origination to api.example.com: a socket with another certificate.
        String astray = changed("/envoy/config-dump-reviews-key-log.json", dump -> {
            for (JsonNode entry : entries(dump, "ClustersConfigDump", "dynamic_active_clusters")) {
                ObjectNode cluster = (ObjectNode) entry.path("cluster");
                if (cluster.path("name").asText().equals("outbound|443||api.example.com")) {
                    ObjectNode tls = cluster.putObject("transport_socket");
                    tls.put("name", "envoy.transport_sockets.tls");
                    tls.putObject("typed_config").putObject("common_tls_context").putObject("key_log")
                            .put("path", KEY_FILE).putArray("local_address_range").addObject()
                            .put("address_prefix", "10.244.1.17").put("prefix_len", 32);
                }
            }
        });
        sidecarShowing(astray);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());

        assertEquals(List.of(APPLYING, "warning: pod shop/" + POD + ": not decrypting: Istio put the key log on cluster"
                + " outbound|443||api.example.com, which is not Istio mTLS; removed EnvoyFilter shop/" + FILTER
                + " at once" + WITHOUT), notes);
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("POST", "DELETE"), filterRequests(log).stream().map(RecordedRequest::getMethod).toList());
        assertEquals(List.of(CONFIG_DUMP.toString(), "[cat, /dev/null]", CONFIG_DUMP.toString(),
                "[rm, -f, " + KEY_FILE + "]"), execs(log));
        assertEquals(List.of(), run.footprint().objects());
    }

    @Test
    void whenEnvoyRejectedAnUpdateTheWarningQuotesIt() throws Exception {
        String rejecting = changed("/envoy/config-dump-reviews.json", dump -> virtualInbound(dump)
                .putObject("error_state").put("details", "Error adding/updating listener(s) virtualInbound: "
                        + "key_log: unknown field\n"));
        sidecarShowing(rejecting);
        EnvoyKeyLog logging = keyLog(Duration.ofMillis(1), StopSignal.manual());

        assertEquals(Optional.empty(), logging.start());

        String said = notes.get(notes.size() - 1);
        assertTrue(said.endsWith(" s after EnvoyFilter shop/" + FILTER + " was applied, Envoy's configuration still"
                + " shows no key log; Envoy rejected an update: listener virtualInbound: Error adding/updating"
                + " listener(s) virtualInbound: key_log: unknown field; removed it" + WITHOUT
                + " (--decrypt-timeout waits longer)"), said);
        assertEquals(List.of(), storedFilters());
    }

    @Test
    void mtlsChainsAPatchCannotReachAloneAreSaidAndLeftOut() throws Exception {
        // A plaintext chain that every match of the mTLS chains also selects (same name, port, protocol, ALPN).
        String shared = changed("/envoy/config-dump-reviews.json", dump -> {
            ArrayNode chains = (ArrayNode) virtualInbound(dump).path("active_state").path("listener")
                    .path("filter_chains");
            ObjectNode plaintext = chains.get(1).deepCopy();
            plaintext.remove("transport_socket");
            chains.add(plaintext);
        });
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, shared, "/envoy/config-dump-reviews-key-log.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());

        assertTrue(logging.start().isPresent(), notes.toString());

        String plaintext = "inbound chain 0.0.0.0_9080 (port 9080, tls, ALPN istio-http/1.0,istio-http/1.1,istio-h2)";
        assertEquals(List.of("warning: pod shop/" + POD + ": cannot decrypt " + plaintext + ": a patch that selects it"
                + " would also select " + plaintext + ", which has no Istio mTLS of its own",
                "warning: pod shop/" + POD + ": cannot decrypt inbound chain 0.0.0.0_9080 (port 9080, tls): a patch"
                        + " that selects it would also select " + plaintext + ", which has no Istio mTLS of its own"),
                notes.subList(0, 2));
        assertTrue(notes.get(2).startsWith("note: pod shop/" + POD + ": applying EnvoyFilter shop/" + FILTER + ": Envoy"
                + " logs TLS keys of 0 inbound mTLS filter chains and 1 outbound mTLS cluster into "), notes.get(2));
        logging.finish(longAgo());
    }

    @Test
    void aFilterIstiosWebhookRefusesIsSaidInItsWordsAndNothingIsLeftToRemove() throws Exception {
        startWithTheFilterRefused(400, "BadRequest", "admission webhook \"validation.istio.io\" denied the request:"
                + " configuration is invalid: key_log: unknown field");

        assertEquals(List.of(APPLYING, "warning: pod shop/" + POD + ": not decrypting: cannot create EnvoyFilter shop/"
                + FILTER + ": admission webhook \"validation.istio.io\" denied the request: configuration is invalid:"
                + " key_log: unknown field (Istio's validating webhook checks every EnvoyFilter)" + WITHOUT), notes);
    }

    @Test
    void aFilterTheServerWillNotDeleteIsNamedWithTheCommandsThatRemoveIt() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        server.expect().delete().withPath(FILTERS + "/" + FILTER).andReturn(403, "{\"kind\":\"Status\",\"apiVersion\":"
                + "\"v1\",\"status\":\"Failure\",\"message\":\"envoyfilters.networking.istio.io \\\"" + FILTER
                + "\\\" is forbidden: User \\\"bob\\\" cannot delete resource \\\"envoyfilters\\\" in API group"
                + " \\\"networking.istio.io\\\" in the namespace \\\"shop\\\"\",\"reason\":\"Forbidden\",\"code\":403}")
                .once();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        notes.clear();

        logging.finish(longAgo());

        assertEquals(List.of("warning: pod shop/" + POD + ": could not delete EnvoyFilter shop/" + FILTER + " (forbidden:"
                + " cannot delete envoyfilters in namespace shop; grant it (see examples/rbac.yaml)); Envoy logs TLS"
                + " keys until it is gone: kubectl delete envoyfilter -n shop " + FILTER + " (or meshcap cleanup --run"
                + " t3st01 -n shop)"), notes);
        assertEquals(List.of("EnvoyFilter shop/" + FILTER), run.footprint().objects(), "still there: named on exit");
        assertEquals(5, logging.keys().size());
    }

    @Test
    void aKeyFileThatCannotBeRemovedIsSaidToGoWithThePod() throws Exception {
        cluster.exec(POD, "istio-proxy", List.of("rm", "-f", KEY_FILE))
                .andEmit(MockCluster.stderr("rm: can't remove '" + KEY_FILE + "': Read-only file system\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        notes.clear();

        logging.finish(longAgo());

        assertEquals(List.of("warning: pod shop/" + POD + ": could not remove the key log " + KEY_FILE + " in container"
                + " istio-proxy of pod shop/" + POD + " (rm exited 1: rm: can't remove '" + KEY_FILE + "': Read-only"
                + " file system); it goes with the pod"), notes);
        assertEquals(List.of(), storedFilters(), "the filter is deleted first");
    }

    @Test
    void aKeyFileThatCannotBeReadOrRemovedForLackOfExecIsSaid() throws Exception {
        // The API server refuses the execs of the end: reading and removing the key file.
        for (List<String> argv : List.of(List.of("cat", KEY_FILE), List.of("rm", "-f", KEY_FILE))) {
            server.expect().get().withPath(MockCluster.execPath(POD, "istio-proxy", argv)).andReturn(403, "{\"kind\":"
                    + "\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"pods \\\"" + POD + "\\\""
                    + " is forbidden: User \\\"bob\\\" cannot create resource \\\"pods/exec\\\" in API group \\\"\\\""
                    + " in the namespace \\\"shop\\\"\",\"reason\":\"Forbidden\",\"code\":403}").always();
        }
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        assertTrue(logging.start().isPresent(), notes.toString());
        notes.clear();

        logging.finish(longAgo());

        String refused = "forbidden: cannot create pods/exec in namespace shop; grant it (see examples/rbac.yaml)";
        assertEquals(List.of("warning: pod shop/" + POD + ": could not read the key log " + KEY_FILE + ": " + refused,
                "warning: pod shop/" + POD + ": could not remove the key log " + KEY_FILE + " in pod shop/" + POD
                        + ": " + refused + "; it goes with the pod"), notes);
        assertTrue(logging.keys().isEmpty());
        assertEquals(List.of(), storedFilters());
    }

    @Test
    void envoysConfigurationGoingAwayWhileWaitingRemovesTheFilter() throws Exception {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, MockCluster.text("/envoy/config-dump-reviews.json"), 0);
        cluster.exec(POD, "istio-proxy", CONFIG_DUMP)
                .andEmit(MockCluster.stderr("Error: dial tcp 127.0.0.1:15000: connect: connection refused\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        cluster.execReturns(POD, "istio-proxy", List.of("cat", "/dev/null"), "", 0);
        cluster.execReturns(POD, "istio-proxy", List.of("rm", "-f", KEY_FILE), "", 0);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());

        assertEquals(List.of(APPLYING, "warning: pod shop/" + POD + ": not decrypting: Envoy's configuration could not be"
                + " read in container istio-proxy ('pilot-agent request GET config_dump' exited 1: Error: dial tcp"
                + " 127.0.0.1:15000: connect: connection refused)" + WITHOUT), notes);
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("POST", "DELETE"), filterRequests(log).stream().map(RecordedRequest::getMethod).toList());
        assertEquals("[rm, -f, " + KEY_FILE + "]", execs(log).get(execs(log).size() - 1));
        assertEquals(List.of(), run.footprint().objects());
    }

    @Test
    void aStopRequestedAsTheFilterIsAboutToBeAppliedAppliesNothing() throws Exception {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", null);
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        StopSignal stop = StopSignal.manual();
        // Ctrl-C as the note that the filter is being applied is printed.
        run = new ClusterRun(client, LaunchSettings.of(Strategy.EXEC).withRunId(MockCluster.RUN_ID)
                .withDecryption(Duration.ofSeconds(30)), note -> {
                    notes.add(note);
                    if (note.startsWith("note: ")) {
                        stop.requestStop();
                    }
                }, stop);
        EnvoyKeyLog logging = new EnvoyKeyLog(run, new PodExec(client, stop), pod);
        forgetSetUp();

        assertThrows(MeshcapException.class, logging::start);
        logging.finish(longAgo());

        assertEquals(List.of(APPLYING), notes);
        assertEquals(List.of(), filterRequests(cluster.requests()), "nothing applied, nothing to delete");
        assertEquals(List.of(), run.footprint().objects());
    }
}
