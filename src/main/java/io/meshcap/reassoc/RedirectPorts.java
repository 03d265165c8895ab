package io.meshcap.reassoc;

import io.meshcap.istio.IstioDefaults;

/**
 * The sidecar ports iptables REDIRECTs locally generated connections to, which re-association undoes on
 * {@code lo}: the outbound capture port (the app's outgoing calls) and the inbound capture port (the self-call
 * path: the proxy connecting to its own pod's address, which ISTIO_IN_REDIRECT sends to the inbound port).
 *
 * @param outbound ISTIO_REDIRECT's {@code --to-ports} (istio-iptables {@code -p})
 * @param inbound  ISTIO_IN_REDIRECT's {@code --to-ports} (istio-iptables {@code -z})
 */
public record RedirectPorts(int outbound, int inbound) {

    private static final int MAX_PORT = 65535;

    public RedirectPorts {
        for (int port : new int[] {outbound, inbound}) {
            if (port <= 0 || port > MAX_PORT) {
                throw new IllegalArgumentException("port " + port + " is not 1-65535");
            }
        }
    }

    /** Istio's defaults: 15001 and 15006. */
    public static RedirectPorts istioDefaults() {
        return of(IstioDefaults.OUTBOUND_CAPTURE_PORT, null);
    }

    /**
     * The ports of one pod: the outbound port its rules name or a flag gives, and the inbound port its rules name,
     * or Istio's {@value IstioDefaults#INBOUND_CAPTURE_PORT} when no rules were read or they name none.
     */
    public static RedirectPorts of(int outbound, Integer inbound) {
        return new RedirectPorts(outbound, inbound != null ? inbound : IstioDefaults.INBOUND_CAPTURE_PORT);
    }

    /** Whether {@code destination} is a REDIRECT target: the loopback address and one of the two ports. */
    public boolean isRedirectTarget(FlowEndpoint destination) {
        int port = destination.port();
        return (port == outbound || port == inbound) && destination.isLoopback();
    }

    /** What the port is, for comments. */
    public String describe(int port) {
        return port == outbound
                ? "the sidecar's outbound capture port"
                : "the sidecar's inbound capture port, a call to the pod's own address";
    }
}
