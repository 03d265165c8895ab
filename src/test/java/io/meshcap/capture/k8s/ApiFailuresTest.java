package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLHandshakeException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class ApiFailuresTest {

    // Only its address is used: nothing here connects.
    private static final KubernetesClient CLIENT = new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:9").build()).build();

    private static KubernetesClientException status(int code, String message) {
        Status status = new StatusBuilder().withCode(code).withMessage(message).build();
        return new KubernetesClientException(status);
    }

    @Test
    void rbacDenialNamesTheMissingPermission() {
        KubernetesClientException e = status(403, "pods \"reviews-v1-7d9c\" is forbidden: User \"bob\" cannot patch "
                + "resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"shop\"");
        assertEquals("forbidden: cannot patch pods/ephemeralcontainers in namespace shop; grant it (see "
                + "examples/rbac.yaml) or use --strategy node",
                ApiFailures.explain(CLIENT, e, "add an ephemeral container", "or use --strategy node").getMessage());
    }

    @Test
    void clusterScopedDenial() {
        KubernetesClientException e = status(403, "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" "
                + "in API group \"\" at the cluster scope");
        assertEquals("forbidden: cannot list nodes cluster-wide; grant it (see examples/rbac.yaml)",
                ApiFailures.explain(CLIENT, e, "list nodes", "").getMessage());
    }

    @Test
    void podSecurityRejectionSaysWhichPolicyAndWhat() {
        KubernetesClientException e = status(403, "pods \"meshcap-node-x\" is forbidden: violates PodSecurity "
                + "\"baseline:latest\": host namespaces (hostPID=true), privileged (container \"meshcap\" must not "
                + "set securityContext.privileged=true)");
        assertEquals("Pod Security admission rejected: cannot create the node pod: policy baseline:latest forbids "
                + "host namespaces (hostPID=true), privileged (container \"meshcap\" must not set "
                + "securityContext.privileged=true); the namespace must allow it (label "
                + "pod-security.kubernetes.io/enforce=privileged, if your policy permits) or use --strategy ephemeral",
                ApiFailures.explain(CLIENT, e, "create the node pod", "or use --strategy ephemeral").getMessage());
    }

    @Test
    void unreachableApiServerSaysWhereAndWhyInWords() {
        // What the JDK client raises for a closed port: no messages, a channel exception at the bottom.
        KubernetesClientException e = new KubernetesClientException("Operation: [get]  for kind: [Pod]",
                new IOException(new ConnectException()));
        e.getCause().getCause().initCause(new ClosedChannelException());
        String message = ApiFailures.explain(CLIENT, e, "read pod shop/x", "").getMessage();
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (connection refused); check "
                + "--context/--kubeconfig", message);
    }

    @Test
    void unauthorized() {
        assertEquals("unauthorized: the API server at https://127.0.0.1:9 refused the credentials of the current "
                + "context while trying to read pod shop/x; check that 'kubectl get pods' works with the same "
                + "--context/--kubeconfig",
                ApiFailures.explain(CLIENT, status(401, "Unauthorized"), "read pod shop/x", "").getMessage());
    }

    @Test
    void eachReasonARequestGotNoAnswerIsSaidInWords() {
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (unknown host api.example); check"
                + " --context/--kubeconfig", unanswered(new UnknownHostException("api.example")));
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (unknown host); check"
                + " --context/--kubeconfig", unanswered(new UnknownHostException()));
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (no route to host); check"
                + " --context/--kubeconfig", unanswered(new NoRouteToHostException("Host is unreachable")));
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (no answer in time); check"
                + " --context/--kubeconfig", unanswered(new SocketTimeoutException("Read timed out")));
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (TLS failed: PKIX path building"
                + " failed); check --context/--kubeconfig",
                unanswered(new SSLHandshakeException("PKIX path building failed")));
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:9 (the connection failed); check"
                + " --context/--kubeconfig", unanswered(new IOException("stream was reset: CANCEL")));
    }

    @Test
    void aFailureWithoutAnIoCauseOrAStatusMessageIsTheClientsOwnWords() {
        assertEquals("cannot read pod shop/x: Operation: [get]  for kind: [Pod] with name: [x] or use --pod-ip",
                ApiFailures.explain(CLIENT, new KubernetesClientException(
                        "Operation: [get]  for kind: [Pod] with name: [x]", new IllegalStateException("closed")),
                        "read pod shop/x", "or use --pod-ip").getMessage());
        KubernetesClientException withoutMessage = new KubernetesClientException("Failure executing: GET",
                404, new StatusBuilder().withCode(404).build());
        assertEquals("cannot read pod shop/x: Failure executing: GET",
                ApiFailures.explain(CLIENT, withoutMessage, "read pod shop/x", "").getMessage());
    }

    private static String unanswered(IOException cause) {
        return ApiFailures.explain(CLIENT, new KubernetesClientException("Operation: [get]  for kind: [Pod]",
                new IOException(cause)), "read pod shop/x", "").getMessage();
    }
}
