package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.MeshcapException;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Whether the current user may do what a strategy or --decrypt needs, asked as {@code kubectl auth can-i} asks it
 * (a SelfSubjectAccessReview per permission), judged by the review bodies in the mock server's request log and the
 * whole message or note a user reads.
 */
@EnableKubernetesMockClient(crud = true)
class AccessReviewTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Permission EXEC = Permission.podExec("shop");
    private static final Permission CREATE_FILTERS = Permission.envoyFilters("create", "shop");
    private static final Permission LIST_PODS_EVERYWHERE = Permission.pods("list", "");
    private static final Permission PATCH_EPHEMERAL = Permission.patchEphemeralContainers("shop");

    KubernetesMockServer server;
    KubernetesClient client;

    private final List<String> notes = new ArrayList<>();

    /** The resource attributes of each access review the server answered, as JSON. */
    private static List<String> askedAbout(MockCluster cluster) throws IOException {
        List<String> asked = new ArrayList<>();
        for (String body : cluster.accessReviews()) {
            JsonNode review = JSON.readTree(body);
            assertEquals("SelfSubjectAccessReview", review.path("kind").asText(), body);
            asked.add(review.path("spec").path("resourceAttributes").toString());
        }
        return asked;
    }

    /** How many access reviews the server received. */
    private int reviewsAsked() throws InterruptedException {
        int asked = 0;
        RecordedRequest request;
        while ((request = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
            asked += request.getPath().equals(MockCluster.ACCESS_REVIEWS) ? 1 : 0;
        }
        return asked;
    }

    @Test
    void eachPermissionIsAskedOnceAsKubectlAuthCanIAsksItAndTheDeniedOnesAreReturned() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        cluster.deny(CREATE_FILTERS);
        cluster.deny(LIST_PODS_EVERYWHERE);
        AccessReview access = new AccessReview(client, notes::add);

        assertEquals(List.of(CREATE_FILTERS, LIST_PODS_EVERYWHERE),
                access.denied(List.of(EXEC, CREATE_FILTERS, LIST_PODS_EVERYWHERE)));
        assertEquals(List.of(CREATE_FILTERS), access.denied(List.of(CREATE_FILTERS, EXEC)), "answers are kept");

        // The core group and "every namespace" are left out of the question, as kubectl leaves them out.
        assertEquals(List.of(
                "{\"namespace\":\"shop\",\"resource\":\"pods\",\"subresource\":\"exec\",\"verb\":\"create\"}",
                "{\"group\":\"networking.istio.io\",\"namespace\":\"shop\",\"resource\":\"envoyfilters\","
                        + "\"verb\":\"create\"}",
                "{\"resource\":\"pods\",\"verb\":\"list\"}"), askedAbout(cluster));
        assertEquals(List.of(), notes);
    }

    @Test
    void aStrategyWhosePermissionsAreDeniedIsRefusedNamingEachAndTheRoleThatGrantsThem() {
        MockCluster cluster = new MockCluster(server, client);
        cluster.deny(PATCH_EPHEMERAL);
        cluster.deny(EXEC);
        AccessReview access = new AccessReview(client, notes::add);

        MeshcapException e = assertThrows(MeshcapException.class, () -> access.require(
                List.of(Permission.pods("get", "shop"), PATCH_EPHEMERAL, EXEC), Strategy.EPHEMERAL,
                "or use --strategy node"));

        assertEquals("forbidden: you may not patch pods/ephemeralcontainers in namespace shop, create pods/exec in "
                + "namespace shop (the API server's answer to a SelfSubjectAccessReview, as kubectl auth can-i asks "
                + "it), which --strategy ephemeral needs; grant it (see examples/rbac.yaml, Role meshcap-ephemeral) or"
                + " use --strategy node", e.getMessage());
        MeshcapException bare = assertThrows(MeshcapException.class, () -> access.require(List.of(EXEC), "--decrypt",
                "meshcap-decrypt", ""));
        assertEquals("forbidden: you may not create pods/exec in namespace shop (the API server's answer to a "
                + "SelfSubjectAccessReview, as kubectl auth can-i asks it), which --decrypt needs; grant it (see "
                + "examples/rbac.yaml, Role meshcap-decrypt)", bare.getMessage());
        access.require(List.of(Permission.pods("get", "shop")), Strategy.EPHEMERAL, "or use --strategy node");
    }

    @Test
    void aServerThatDoesNotSayCountsAsAllowedWithANoteAndIsAskedOnce() throws Exception {
        // An authorizer that answers without a decision (no status): the request itself will say.
        server.expect().post().withPath(MockCluster.ACCESS_REVIEWS).andReturn(201, new SelfSubjectAccessReviewBuilder()
                .withNewMetadata().endMetadata().build()).always();
        AccessReview access = new AccessReview(client, notes::add);

        assertEquals(List.of(), access.denied(List.of(EXEC)));
        assertEquals(List.of(), access.denied(List.of(EXEC)));

        assertEquals(List.of("note: the API server did not say whether you may create pods/exec in namespace shop;"
                + " going ahead"), notes);
        assertEquals(1, reviewsAsked());
    }

    @Test
    void aServerWithoutAccessReviewsCountsAsAllowedWithANote() throws Exception {
        server.expect().post().withPath(MockCluster.ACCESS_REVIEWS).andReturn(404, new StatusBuilder().withCode(404)
                .withReason("NotFound").withMessage("the server could not find the requested resource").build())
                .always();
        AccessReview access = new AccessReview(client, notes::add);

        assertEquals(List.of(), access.denied(List.of(Permission.envoyFilters("create", "shop"),
                LIST_PODS_EVERYWHERE)));

        assertEquals(List.of("note: could not check whether you may create envoyfilters.networking.istio.io in "
                + "namespace shop (HTTP 404 to a SelfSubjectAccessReview); going ahead",
                "note: could not check whether you may list pods in every namespace (HTTP 404 to a "
                + "SelfSubjectAccessReview); going ahead"), notes);
    }

    @Test
    void aServerThatCannotBeReachedIsAFailureSayingWhere() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("https://127.0.0.1:" + closed).withRequestRetryBackoffLimit(0).build()).build()) {
            AccessReview access = new AccessReview(unreachable, notes::add);

            MeshcapException e = assertThrows(MeshcapException.class, () -> access.denied(List.of(EXEC)));

            assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:" + closed + " (connection refused);"
                    + " check --context/--kubeconfig", e.getMessage());
            assertTrue(notes.isEmpty(), notes.toString());
        }
    }
}
