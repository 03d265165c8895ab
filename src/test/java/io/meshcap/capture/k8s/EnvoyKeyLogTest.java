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
        assertEquals(APPLYING, notes.get(0));
        List<GenericKubernetesResource> applied = storedFilters();
        assertEquals(1, applied.size(), "the filter is there while the capture runs");
        assertEquals(List.of("EnvoyFilter shop/" + FILTER), run.footprint().objects(), "what a second Ctrl-C names");
        logging.finish(Instant.now());
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

        logging.finish(Instant.now());
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
        assertTrue(said.startsWith("warning: pod shop/" + POD + ": not decrypting: "), said);
        assertTrue(said.contains("after EnvoyFilter shop/" + FILTER + " was applied, Envoy's configuration still shows"
                + " no key log (Istio rejected the filter or did not push it; see istioctl analyze -n shop and istioctl"
                + " proxy-status); removed it; capturing without decryption (--decrypt-timeout waits longer)"), said);
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("POST", "DELETE"), filterRequests(log).stream().map(RecordedRequest::getMethod).toList());
        assertEquals("[rm, -f, " + KEY_FILE + "]", execs(log).get(execs(log).size() - 1));
        assertEquals(List.of(), storedFilters());
        logging.finish(Instant.now());
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
        logging.finish(Instant.now());

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
     * Envoy's configuration shows the key log on the fixture's three sockets only, until the 2 s timeout.
     */
    private EnvoyKeyLog partlyDecrypting(int moreClusters) throws IOException {
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, withMoreClusters(moreClusters),
                "/envoy/config-dump-reviews-key-log.json", null);
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(2), StopSignal.manual());
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
        logging.finish(Instant.now());
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
        logging.finish(Instant.now());
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
        logging.finish(Instant.now());
    }

    @Test
    void whenPilotAgentCannotGiveEnvoysConfigurationNothingIsAppliedAndItsErrorIsSaid() throws Exception {
        cluster.exec(POD, "istio-proxy", CONFIG_DUMP)
                .andEmit(MockCluster.stderr("Error: dial tcp 127.0.0.1:15000: connect: connection refused\n"))
                .waitFor(5).andEmit(new StatusStreamMessage(1)).done().once();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());
        logging.finish(Instant.now());

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

    @Test
    void aClusterWithoutIstiosEnvoyFilterIsSaidAndNothingIsLeftToRemove() throws Exception {
        cluster.execReturns(POD, "istio-proxy", CONFIG_DUMP, MockCluster.text("/envoy/config-dump-reviews.json"), 0);
        cluster.execReturns(POD, "istio-proxy", List.of("cat", "/dev/null"), "", 0);
        server.expect().post().withPath(FILTERS).andReturn(404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                + "\"status\":\"Failure\",\"message\":\"the server could not find the requested resource\","
                + "\"reason\":\"NotFound\",\"code\":404}").once();
        EnvoyKeyLog logging = keyLog(Duration.ofSeconds(30), StopSignal.manual());
        forgetSetUp();

        assertEquals(Optional.empty(), logging.start());
        logging.finish(Instant.now());

        assertEquals(List.of(APPLYING, "warning: pod shop/" + POD + ": not decrypting: this cluster does not serve"
                + " networking.istio.io/v1alpha3 EnvoyFilter (is Istio installed?)" + WITHOUT), notes);
        assertEquals(List.of(), run.footprint().objects(), "nothing to name on a second Ctrl-C");
        List<RecordedRequest> log = cluster.requests();
        assertEquals(List.of("POST"), filterRequests(log).stream().map(RecordedRequest::getMethod).toList());
        assertEquals(List.of("[pilot-agent, request, GET, config_dump]", "[cat, /dev/null]"), execs(log),
                "no key file to remove");
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

        logging.finish(Instant.now());

        assertTrue(logging.keys().isEmpty());
        assertEquals(List.of("warning: pod shop/" + POD + ": could not read the key log " + KEY_FILE + " in container"
                + " istio-proxy (cat exited 1: cat: " + KEY_FILE + ": Permission denied); the capture holds no keys of"
                + " shop/" + POD), notes);
        assertEquals(List.of(), storedFilters());
    }
}
