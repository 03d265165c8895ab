package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import io.meshcap.MeshcapException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Turns API errors into messages that say what failed and the fix. The API's own wording is the source:
 * RBAC denials name the verb, resource and namespace; Pod Security admission says which policy. A request that
 * got no answer says which server could not be reached and why, in words rather than exception names.
 */
final class ApiFailures {

    static final int UNAUTHORIZED = 401;
    static final int FORBIDDEN = 403;
    static final int NOT_FOUND = 404;

    /** The authorizer's wording, e.g. {@code User "bob" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "shop"}. */
    private static final Pattern RBAC_DENIAL = Pattern.compile(
            "cannot (\\S+) resource \"([^\"]+)\"(?: in API group \"([^\"]*)\")?(?: in the namespace \"([^\"]+)\")?");
    private static final Pattern POD_SECURITY = Pattern.compile("violates PodSecurity \"([^\"]+)\": ?(.*)");
    static final String RBAC_HELP = "grant it (see examples/rbac.yaml)";
    // Reading the Status of a refused exec is one more short request.
    private static final long STATUS_TIMEOUT_SECONDS = 10;

    private ApiFailures() {
    }

    /**
     * Explains {@code e}, raised while doing {@code action} ("create the node pod in namespace shop").
     *
     * @param client      the client that made the request (for the server's address)
     * @param alternative appended to the fix, e.g. "or use --strategy node"; may be empty
     */
    static MeshcapException explain(KubernetesClient client, KubernetesClientException e, String action,
            String alternative) {
        String message = e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage() : String.valueOf(e.getMessage());
        String or = alternative.isEmpty() ? "" : " " + alternative;
        if (e.getCode() == FORBIDDEN) {
            Matcher psa = POD_SECURITY.matcher(message);
            if (psa.find()) {
                return MeshcapException.failure("Pod Security admission rejected: cannot " + action + ": policy "
                        + psa.group(1) + " forbids " + psa.group(2).trim() + "; the namespace must allow it "
                        + "(label pod-security.kubernetes.io/enforce=privileged, if your policy permits)" + or, e);
            }
            Matcher rbac = RBAC_DENIAL.matcher(message);
            if (rbac.find()) {
                String where = rbac.group(4) == null ? "cluster-wide" : "in namespace " + rbac.group(4);
                return MeshcapException.failure("forbidden: cannot " + rbac.group(1) + " " + rbac.group(2) + " "
                        + where + "; " + RBAC_HELP + or, e);
            }
            return MeshcapException.failure("forbidden: cannot " + action + ": " + message + "; " + RBAC_HELP + or, e);
        }
        if (e.getCode() == UNAUTHORIZED) {
            return MeshcapException.failure("unauthorized: the API server at " + server(client) + " refused the "
                    + "credentials of the current context while trying to " + action + "; check that 'kubectl get "
                    + "pods' works with the same --context/--kubeconfig", e);
        }
        // No HTTP status and an I/O failure underneath: the request never got an answer.
        Optional<String> unanswered = e.getCode() <= 0 ? whyUnanswered(e) : Optional.empty();
        if (unanswered.isPresent()) {
            return MeshcapException.failure("cannot connect to the Kubernetes API at " + server(client) + " ("
                    + unanswered.get() + "); check --context/--kubeconfig", e);
        }
        return MeshcapException.failure("cannot " + action + ": " + message + or, e);
    }

    /**
     * Explains a refused exec. The websocket handshake carries only the HTTP status, so the API's Status (which
     * names the user and the permission) is read by asking the same URL once more as a plain request; the
     * authorizer answers it the same way, and without the upgrade nothing runs.
     */
    static MeshcapException explainExec(KubernetesClient client, KubernetesClientException e, String execPath,
            String action) {
        Optional<Integer> refused = handshakeStatus(e);
        if (refused.isEmpty()) {
            return explain(client, e, action, "");
        }
        Status status = readStatus(client, execPath).orElseGet(() -> new Status());
        if (status.getMessage() == null) {
            // Not in the authorizer's words: those without a namespace would read as a cluster-wide denial.
            status.setMessage(refused.get() == FORBIDDEN
                    ? "the API server gave no reason (HTTP 403); exec needs create on pods/exec"
                    : "HTTP " + refused.get());
        }
        return explain(client, new KubernetesClientException(status.getMessage(), refused.get(), status), action, "");
    }

    private static Optional<Integer> handshakeStatus(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null) {
                return Optional.of(handshake.getResponse().code());
            }
        }
        return Optional.empty();
    }

    private static Optional<Status> readStatus(KubernetesClient client, String path) {
        try {
            URI uri = URI.create(client.getMasterUrl().toString().replaceAll("/$", "") + path);
            HttpResponse<String> response = client.getHttpClient()
                    .sendAsync(client.getHttpClient().newHttpRequestBuilder().uri(uri).build(), String.class)
                    .get(STATUS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return Optional.ofNullable(client.getKubernetesSerialization().unmarshal(response.body(), Status.class));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception unreadable) {
            // The status code alone still says what happened.
            return Optional.empty();
        }
    }

    /** Why a request got no answer, in words: "connection refused", "unknown host api.example", ... */
    private static Optional<String> whyUnanswered(Throwable e) {
        boolean io = false;
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return Optional.of("connection refused");
            }
            if (cause instanceof UnknownHostException) {
                return Optional.of("unknown host" + (cause.getMessage() == null ? "" : " " + cause.getMessage()));
            }
            if (cause instanceof NoRouteToHostException) {
                return Optional.of("no route to host");
            }
            if (cause instanceof HttpTimeoutException || cause instanceof java.net.SocketTimeoutException
                    || cause instanceof java.util.concurrent.TimeoutException) {
                return Optional.of("no answer in time");
            }
            if (cause instanceof SSLException) {
                return Optional.of("TLS failed" + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
            }
            io |= cause instanceof IOException;
        }
        return io ? Optional.of("the connection failed") : Optional.empty();
    }

    private static String server(KubernetesClient client) {
        return client.getMasterUrl().toString().replaceAll("/$", "");
    }
}
