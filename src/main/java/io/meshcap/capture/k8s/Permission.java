package io.meshcap.capture.k8s;

/**
 * One thing the API must allow, as RBAC names it and {@code kubectl auth can-i} asks it.
 *
 * @param verb        get, list, create, delete, patch
 * @param resource    e.g. pods
 * @param subresource e.g. exec, ephemeralcontainers; empty for the resource itself
 * @param namespace   where; empty for every namespace
 */
public record Permission(String verb, String resource, String subresource, String namespace) {

    static final String PODS = "pods";

    static Permission pods(String verb, String namespace) {
        return new Permission(verb, PODS, "", namespace);
    }

    static Permission podExec(String namespace) {
        return new Permission("create", PODS, "exec", namespace);
    }

    static Permission patchEphemeralContainers(String namespace) {
        return new Permission("patch", PODS, "ephemeralcontainers", namespace);
    }

    /** {@code create pods/exec in namespace shop}, as the fix names it. */
    public String describe() {
        return verb + " " + resource + (subresource.isEmpty() ? "" : "/" + subresource) + " "
                + (namespace.isEmpty() ? "in every namespace" : "in namespace " + namespace);
    }
}
