package io.meshcap.capture.k8s;

import java.util.List;
import java.util.Locale;

/** How tcpdump gets into the target pod's network namespace. */
public enum Strategy {
    /** Try {@link #autoOrder()} until one works, saying why each one before it did not. */
    AUTO,
    /** An ephemeral debug container with NET_ADMIN and NET_RAW that targets the proxy container. */
    EPHEMERAL,
    /** A privileged pod on the target's node that enters the pod's network namespace with nsenter. */
    NODE,
    /** tcpdump inside istio-proxy itself, which only works when the proxy runs privileged. */
    EXEC;

    /**
     * The order {@link #AUTO} tries: exec creates nothing, so it goes first when it can work; an ephemeral
     * container needs the narrowest extra permission; a privileged node pod is the last resort.
     */
    public static List<Strategy> autoOrder() {
        return List.of(EXEC, EPHEMERAL, NODE);
    }

    /** The name used on the command line and in messages. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
