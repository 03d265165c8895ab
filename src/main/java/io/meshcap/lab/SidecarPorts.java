package io.meshcap.lab;

import java.util.Set;

/** The ports of the Istio sidecar the lab reproduces (see design.md, "Ports"). */
public final class SidecarPorts {

    /** Outbound capture: ISTIO_REDIRECT sends the app's outgoing connections here. */
    public static final int OUTBOUND = 15001;
    /** Inbound capture: ISTIO_IN_REDIRECT sends connections arriving for the pod here. */
    public static final int INBOUND = 15006;
    /** Ports Istio's sidecar uses itself; an app port must not be one of them. */
    public static final Set<Integer> RESERVED =
            Set.of(15000, OUTBOUND, 15002, 15004, INBOUND, 15008, 15020, 15021, 15053, 15090);

    private SidecarPorts() {
    }
}
