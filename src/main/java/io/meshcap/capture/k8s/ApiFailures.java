package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns API errors into messages that say what failed and the fix. The API's own wording is the source:
 * RBAC denials name the verb, resource and namespace; Pod Security admission says which policy.
 */
final class ApiFailures {

    static final int UNAUTHORIZED = 401;
    static final int FORBIDDEN = 403;
    static final int NOT_FOUND = 404;

    /** The authorizer's wording, e.g. {@code User "bob" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "shop"}. */
    private static final Pattern RBAC_DENIAL = Pattern.compile(
            "cannot (\\S+) resource \"([^\"]+)\"(?: in API group \"([^\"]*)\")?(?: in the namespace \"([^\"]+)\")?");
    private static final Pattern POD_SECURITY = Pattern.compile("violates PodSecurity \"([^\"]+)\": ?(.*)");
    private static final String RBAC_HELP = "grant it (see examples/rbac.yaml)";

    private ApiFailures() {
    }

    /**
     * Explains {@code e}, raised while doing {@code action} ("create the node pod in namespace shop").
     *
     * @param alternative appended to the fix, e.g. "or use --strategy node"; may be empty
     */
    static MeshcapException explain(KubernetesClientException e, String action, String alternative) {
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
            return MeshcapException.failure("unauthorized: the API server refused the credentials of the current "
                    + "context while trying to " + action + "; check that 'kubectl get pods' works (--context, "
                    + "--kubeconfig)", e);
        }
        // No HTTP status and an I/O failure underneath: the request never got an answer.
        if (e.getCode() <= 0 && rootCauseIsIo(e)) {
            return MeshcapException.failure("cannot reach the API server to " + action + ": " + rootCause(e)
                    + "; check the context (--context, --kubeconfig) and that 'kubectl get pods' works", e);
        }
        return MeshcapException.failure("cannot " + action + ": " + message + or, e);
    }

    private static boolean rootCauseIsIo(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
