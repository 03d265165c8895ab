package io.meshcap.istio;

/** How traffic reaches the proxy. */
public enum InterceptionMode {
    /** nat REDIRECT both ways: the default sidecar injection. */
    REDIRECT,
    /** Inbound through mangle TPROXY, outbound still REDIRECT: the app sees real client addresses. */
    TPROXY,
    /** Ambient in-pod rules: ztunnel's sockets are told apart by a socket mark, not a uid. */
    AMBIENT,
    /** No Istio interception rules were found. */
    NONE
}
