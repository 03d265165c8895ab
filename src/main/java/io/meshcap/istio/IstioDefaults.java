package io.meshcap.istio;

import java.util.Set;

/**
 * Istio's defaults, in one place. The parsers fall back to these only when a dump does not say otherwise,
 * and the advice compares what it read against them.
 */
public final class IstioDefaults {

    /** Envoy's outbound listener: {@code istio-iptables -p}. */
    public static final int OUTBOUND_CAPTURE_PORT = 15001;
    /** Envoy's inbound listener: {@code istio-iptables -z}. */
    public static final int INBOUND_CAPTURE_PORT = 15006;
    /** The HBONE tunnel port (ambient, and sidecars that accept HBONE). */
    public static final int HBONE_PORT = 15008;
    /** pilot-agent's DNS proxy, the target of DNS capture. */
    public static final int DNS_CAPTURE_PORT = 15053;
    /** The DNS port that DNS capture redirects. */
    public static final int DNS_PORT = 53;
    /** The proxy uid and gid of a default injection. */
    public static final long PROXY_UID = 1337;
    /** ztunnel's socket mark in ambient in-pod rules (istio-cni's InpodMark, 1337). */
    public static final long ZTUNNEL_MARK = 0x539;
    /** Envoy binds this address for its connection to the app on the inbound leg (REDIRECT mode). */
    public static final String ENVOY_INBOUND_SOURCE_V4 = "127.0.0.6";
    /** The IPv6 counterpart of {@link #ENVOY_INBOUND_SOURCE_V4}. */
    public static final String ENVOY_INBOUND_SOURCE_V6 = "::6";
    /** Ports the sidecar uses itself (admin, agent, health, metrics and the above); an app port must not be one. */
    public static final Set<Integer> SIDECAR_RESERVED_PORTS = Set.of(15000, OUTBOUND_CAPTURE_PORT, 15002, 15004,
            INBOUND_CAPTURE_PORT, HBONE_PORT, 15020, 15021, DNS_CAPTURE_PORT, 15090);

    private IstioDefaults() {
    }
}
