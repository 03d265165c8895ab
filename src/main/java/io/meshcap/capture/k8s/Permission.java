package io.meshcap.capture.k8s;

/**
 * One thing the API must allow, as RBAC names it and {@code kubectl auth can-i} asks it.
 *
 * @param verb        get, list, create, delete, patch
 * @param group       the API group, empty for the core group (pods)
 * @param resource    e.g. pods, envoyfilters
 * @param subresource e.g. exec, ephemeralcontainers; empty for the resource itself
 * @param namespace   where; empty for every namespace
 */
public record Permission(String verb, String group, String resource, String subresource, String namespace) {

    static final String PODS = "pods";
    static final String ISTIO_NETWORKING = "networking.istio.io";
    static final String ENVOY_FILTERS = "envoyfilters";

    /** A permission on a resource of the core group. */
    public Permission(String verb, String resource, String subresource, String namespace) {
        this(verb, "", resource, subresource, namespace);
    }

    static Permission pods(String verb, String namespace) {
        return new Permission(verb, PODS, "", namespace);
    }

    static Permission podExec(String namespace) {
        return new Permission("create", PODS, "exec", namespace);
    }

    static Permission patchEphemeralContainers(String namespace) {
        return new Permission("patch", PODS, "ephemeralcontainers", namespace);
    }

    static Permission envoyFilters(String verb, String namespace) {
        return new Permission(verb, ISTIO_NETWORKING, ENVOY_FILTERS, "", namespace);
    }

    /**
     * {@code create pods/exec in namespace shop}, or {@code create envoyfilters.networking.istio.io in namespace shop}
     * (a resource of another group named as kubectl names it), as the fix names it.
     */
    public String describe() {
        return verb + " " + resource + (group.isEmpty() ? "" : "." + group)
                + (subresource.isEmpty() ? "" : "/" + subresource) + " "
                + (namespace.isEmpty() ? "in every namespace" : "in namespace " + namespace);
    }
}
