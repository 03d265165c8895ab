package io.meshcap.capture.k8s;

import java.util.List;

/**
 * Commands run in the istio-proxy container for TLS key logging, as argv lists (no shell): Istio's own agent reads
 * Envoy's configuration; the key log file is read and removed with the image's cat and rm.
 */
public final class ProxyArgv {

    private ProxyArgv() {
    }

    /** Envoy's whole configuration as JSON, through its admin interface (which listens on localhost only). */
    public static List<String> configDump() {
        return List.of("pilot-agent", "request", "GET", "config_dump");
    }

    /** Prints {@code path}. */
    public static List<String> read(String path) {
        return List.of("cat", path);
    }

    /** Removes {@code path} if it is there. */
    public static List<String> remove(String path) {
        return List.of("rm", "-f", path);
    }
}
