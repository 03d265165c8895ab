package io.meshcap.reassoc;

import java.util.Arrays;
import java.util.Optional;

/**
 * Which leg of a sidecar pod's traffic a TCP connection is, named after the capture presets where there is one.
 * Told from the interface (loopback or not) and the addresses; see {@link Stitcher}.
 */
public enum Leg {
    /** On eth0: a client's connection to the pod (mTLS in a mesh). */
    INBOUND_MTLS("inbound-mtls", "eth0: client to the pod"),
    /** On lo: the sidecar (127.0.0.6 or ::6) to the app. */
    INBOUND_PLAIN("inbound-plain", "lo: sidecar to the app"),
    /** On lo: the app to its original destination (after re-association). */
    OUTBOUND_PLAIN("outbound-plain", "lo: app to the original destination"),
    /** On eth0: the pod (the sidecar) to an upstream endpoint (mTLS in a mesh). */
    OUTBOUND_MTLS("outbound-mtls", "eth0: sidecar to an upstream endpoint"),
    /** On lo: the app to the sidecar's outbound port, not re-associated. */
    REDIRECTED("redirected", "lo: app to the sidecar's capture port, not re-associated"),
    /** On lo: the sidecar to its own pod's address, the self-call path. */
    SELF_CALL("self-call", "lo: sidecar to its own pod's address"),
    /** On lo between loopback addresses (the admin port, health checks). */
    LOCAL("local", "lo: between loopback addresses"),
    /** Anything else, including eth0 connections when no lo leg shows the pod's address. */
    OTHER("other", "not a sidecar leg meshcap recognises");

    private final String label;
    private final String meaning;

    Leg(String label, String meaning) {
        this.label = label;
        this.meaning = meaning;
    }

    public String label() {
        return label;
    }

    public String meaning() {
        return meaning;
    }

    /** The leg a label names ({@code inbound-mtls}), if any. */
    public static Optional<Leg> byLabel(String label) {
        return Arrays.stream(values()).filter(leg -> leg.label.equals(label)).findFirst();
    }

    /** Whether the leg is meant to carry Istio mTLS, so plaintext on it says something about the mesh. */
    public boolean mutualTls() {
        return this == INBOUND_MTLS || this == OUTBOUND_MTLS;
    }
}
