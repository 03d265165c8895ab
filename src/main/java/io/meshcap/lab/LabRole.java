package io.meshcap.lab;

/** The background processes of a lab. */
public enum LabRole {
    /** The stand-in Envoy: the pod namespace, running as the proxy uid. */
    SIDECAR("sidecar"),
    /** The application server: the pod namespace, root. */
    APP("app"),
    /** The upstream servers: the mesh namespace, root. */
    UPSTREAM("upstream");

    private final String id;

    LabRole(String id) {
        this.id = id;
    }

    /** The name used in pid files, logs and status. */
    public String id() {
        return id;
    }
}
