package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.istio.EnvoyConfigDump;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap cleanup} and the key-logging EnvoyFilters a --decrypt capture left (meshcap was killed): found by
 * label, deleted with the key file in the target's istio-proxy, one run's only with --run, none on a dry run or
 * without permission (then named with the Role that grants it).
 */
@EnableKubernetesMockClient(crud = true)
class LeftoverKeyLogCleanupTest {

    private static final String LEFT = "meshcap-keylog-t3st01-reviews-v1-7d9c";
    private static final String OTHER_RUN = "meshcap-keylog-zzz999-reviews-v1-7d9c";
    private static final String FILTERS = "/apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters";
    /** {@code app.kubernetes.io/managed-by=meshcap}, as a query parameter. */
    private static final String SELECTOR = "app.kubernetes.io%2Fmanaged-by%3Dmeshcap";

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private final List<String> notes = new ArrayList<>();

    @BeforeEach
    void setUp() throws InterruptedException {
        cluster = new MockCluster(server, client);
        cluster.create(MockCluster.targetPod().build());
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        var targets = EnvoyConfigDump.parse(MockCluster.text("/envoy/config-dump-reviews.json")).keyLogTargets();
        for (String run : List.of(MockCluster.RUN_ID, "zzz999")) {
            client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE)
                    .resource(KeyLogFilterSpec.build(pod, run, targets)).create();
        }
        cluster.requests();
    }

    private List<String> filtersLeft() {
        return filtersLeft(NAMESPACE);
    }

    private List<String> filtersLeft(String namespace) {
        return client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(namespace).list()
                .getItems().stream().map(GenericKubernetesResource::getMetadata).map(m -> m.getName()).sorted()
                .toList();
    }

    @Test
    void oneRunsFilterIsDeletedWithItsKeyFile() throws Exception {
        cluster.execReturns(POD, "istio-proxy", List.of("rm", "-f", "/etc/istio/proxy/meshcap-t3st01-tls-keys.log"),
                "", 0);

        LeftoverCleanup.Report report = new LeftoverCleanup(client, notes::add)
                .run(Optional.of(NAMESPACE), Optional.of(MockCluster.RUN_ID), false);

        assertEquals(List.of(NAMESPACE + "/" + LEFT), report.deletedFilters());
        assertEquals(List.of(), report.problems());
        assertEquals(List.of(OTHER_RUN), filtersLeft());
        assertEquals(List.of("[rm, -f, /etc/istio/proxy/meshcap-t3st01-tls-keys.log]"), cluster.requests().stream()
                .filter(MockCluster::isExec).map(r -> MockCluster.commandOf(r).toString()).toList());
    }

    @Test
    void aDryRunOnlyNamesThem() throws Exception {
        LeftoverCleanup.Report report = new LeftoverCleanup(client, notes::add).run(Optional.of(NAMESPACE),
                Optional.empty(), true);

        assertEquals(List.of(NAMESPACE + "/" + LEFT, NAMESPACE + "/" + OTHER_RUN),
                report.deletedFilters().stream().sorted().toList());
        assertEquals(List.of(LEFT, OTHER_RUN), filtersLeft());
        assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::changesSomething).toList());
    }

    @Test
    void withoutPermissionTheFilterStaysAndTheProblemNamesTheRole() {
        cluster.deny(new Permission("delete", Permission.ISTIO_NETWORKING, Permission.ENVOY_FILTERS, "", NAMESPACE));

        LeftoverCleanup.Report report = new LeftoverCleanup(client, notes::add)
                .run(Optional.of(NAMESPACE), Optional.of(MockCluster.RUN_ID), false);

        assertEquals(List.of(), report.deletedFilters());
        assertEquals(List.of("cannot delete EnvoyFilter shop/" + LEFT + " (its sidecars log TLS keys until it is gone):"
                + " you may not delete envoyfilters.networking.istio.io in namespace shop; grant it (see "
                + "examples/rbac.yaml, Role meshcap-cleanup)"), report.problems());
        assertEquals(List.of(LEFT, OTHER_RUN), filtersLeft());
    }

    @Test
    void onlyTheNamespaceAskedForIsCleaned() throws Exception {
        GenericKubernetesResource elsewhere = client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER)
                .inNamespace(NAMESPACE).withName(LEFT).get();
        client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace("payments").resource(
                new GenericKubernetesResourceBuilder(elsewhere).editMetadata().withNamespace("payments")
                        .withResourceVersion(null).withUid(null).endMetadata().build()).create();

        LeftoverCleanup.Report inShop = new LeftoverCleanup(client, notes::add).run(Optional.of(NAMESPACE),
                Optional.empty(), true);
        LeftoverCleanup.Report everywhere = new LeftoverCleanup(client, notes::add).run(Optional.empty(),
                Optional.empty(), true);

        assertEquals(List.of("shop/" + LEFT, "shop/" + OTHER_RUN), inShop.deletedFilters().stream().sorted().toList());
        assertEquals(List.of("payments/" + LEFT, "shop/" + LEFT, "shop/" + OTHER_RUN),
                everywhere.deletedFilters().stream().sorted().toList());
        assertEquals(List.of(LEFT), filtersLeft("payments"));
    }

    @Test
    void aFilterWithoutItsKeyFileAnnotationsIsDeletedWithNothingRunInThePod() throws Exception {
        GenericKubernetesResource bare = client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER)
                .inNamespace(NAMESPACE).withName(LEFT).get();
        bare.getMetadata().setAnnotations(null);
        client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE).resource(bare).update();
        cluster.requests();

        LeftoverCleanup.Report report = new LeftoverCleanup(client, notes::add)
                .run(Optional.of(NAMESPACE), Optional.of(MockCluster.RUN_ID), false);

        assertEquals(List.of("shop/" + LEFT), report.deletedFilters());
        assertEquals(List.of(), report.problems());
        assertEquals(List.of(OTHER_RUN), filtersLeft());
        assertEquals(List.of(), cluster.requests().stream().filter(MockCluster::isExec).toList());
    }

    @Test
    void filtersThatMayNotBeListedAreAProblemNamingTheNamespaceAndTheRole() {
        server.expect().get().withPath(FILTERS + "?labelSelector=" + SELECTOR)
                .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                        .withMessage("envoyfilters.networking.istio.io is forbidden: User \"bob\" cannot list resource "
                                + "\"envoyfilters\" in API group \"networking.istio.io\" in the namespace \"shop\"")
                        .build())
                .once();

        LeftoverCleanup.Report report = new LeftoverCleanup(client, notes::add).run(Optional.of(NAMESPACE),
                Optional.empty(), false);

        assertEquals(List.of(), report.deletedFilters());
        assertEquals(List.of("could not look for EnvoyFilters in namespace shop: forbidden: cannot list envoyfilters in "
                + "namespace shop; grant it (see examples/rbac.yaml) (Role meshcap-cleanup grants it)"),
                report.problems());
        assertEquals(List.of(LEFT, OTHER_RUN), filtersLeft());
    }

    @Test
    void aClusterWithoutIstioHasNoFiltersAndNoProblem() {
        server.expect().get().withPath(FILTERS + "?labelSelector=" + SELECTOR)
                .andReturn(404, new StatusBuilder().withStatus("Failure").withCode(404).withReason("NotFound")
                        .withMessage("the server could not find the requested resource").build())
                .once();

        LeftoverCleanup.Report report = new LeftoverCleanup(client, notes::add).run(Optional.of(NAMESPACE),
                Optional.empty(), false);

        assertEquals(new LeftoverCleanup.Report(List.of(), List.of(), List.of(), List.of()), report);
    }
}
