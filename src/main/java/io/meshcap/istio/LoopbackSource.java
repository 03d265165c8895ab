package io.meshcap.istio;

/** Which source address the app sees on the inbound {@code lo} leg, so a filter can select that leg. */
public enum LoopbackSource {
    /** Envoy binds 127.0.0.6 (::6) before connecting to the app: REDIRECT mode. */
    ENVOY_BIND_ADDRESS,
    /** The proxy connects transparently with the real client's address: TPROXY and ambient. */
    ORIGINAL_CLIENT,
    /** No inbound interception, so there is no proxy-to-app leg. */
    NONE;

    /** The address to filter on for {@link #ENVOY_BIND_ADDRESS}; for the others there is no fixed address. */
    public String address(boolean ipv6) {
        if (this != ENVOY_BIND_ADDRESS) {
            throw new IllegalStateException(this + " has no fixed loopback source address");
        }
        return ipv6 ? IstioDefaults.ENVOY_INBOUND_SOURCE_V6 : IstioDefaults.ENVOY_INBOUND_SOURCE_V4;
    }
}
