package io.meshcap.plan;

import java.util.Arrays;
import java.util.Optional;

/**
 * The placeholders a preset template may use, and the flag that supplies each, so an error for a missing
 * value can name the flag to add.
 */
public enum FilterParameter {
    POD_IP("podIp", "--pod-ip", "the pod's address"),
    APP_PORTS("appPorts", "--port", "the application port(s)"),
    /** Only what --port gives: a gateway's listeners are its proxy's own sockets, never found as application ports. */
    LISTENER_PORTS("listenerPorts", "--port", "the gateway's listener port(s)"),
    EPHEMERAL_RANGE("ephemeralRange", "--ephemeral-range", "the pod's ephemeral (local) port range"),
    OUTBOUND_PORT("outboundPort", "--outbound-port", "the sidecar's outbound capture port"),
    LOOPBACK("loopback", "--pod-ip", "the loopback address of the pod's address family"),
    CLUSTER_NETS("clusterNets", "--cluster-cidr", "the cluster's pod and service networks");

    private final String placeholder;
    private final String option;
    private final String meaning;

    FilterParameter(String placeholder, String option, String meaning) {
        this.placeholder = placeholder;
        this.option = option;
        this.meaning = meaning;
    }

    /** The name used inside {@code ${...}} in a template. */
    public String placeholder() {
        return placeholder;
    }

    /** The command-line option that supplies the value. */
    public String option() {
        return option;
    }

    public String meaning() {
        return meaning;
    }

    public static Optional<FilterParameter> byPlaceholder(String name) {
        return Arrays.stream(values()).filter(p -> p.placeholder.equals(name)).findFirst();
    }
}
