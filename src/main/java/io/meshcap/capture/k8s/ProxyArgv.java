package io.meshcap.capture.k8s;

import java.util.List;

/**
 * Commands run in the istio-proxy container for TLS key logging, as argv lists (no shell): Istio's own agent reads
 * Envoy's configuration; the key log file is read (while capturing: from where the last read ended) and removed with the image's cat, tail
 * and rm.
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

    /** Prints {@code path} from byte {@code offset} on (0: all of it). */
    public static List<String> readFrom(String path, long offset) {
        return List.of("tail", "-c", "+" + (offset + 1), path);
    }

    /** Removes {@code path} if it is there. */
    public static List<String> remove(String path) {
        return List.of("rm", "-f", path);
    }
}
