package io.meshcap.istio;

import java.util.Objects;
import java.util.Optional;

/**
 * How a call from outside the pod to a listening socket gets there under the pod's rules: through the proxy (so it
 * has an inbound lo leg), or straight to the socket. What {@code meshcap ports} shows beside each socket, so that
 * a user does not need {@code inspect} as well.
 */
public enum InboundPath {
    THROUGH_PROXY("yes: through the proxy"),
    EXCLUDED("no: port excluded, reaches the socket directly"),
    NOT_INCLUDED("no: not an included port, reaches the socket directly"),
    NOT_INTERCEPTED("no: inbound is not intercepted"),
    PROXY_PORT("the proxy's own capture port"),
    LOOPBACK_ONLY("no: bound to loopback, no calls from outside"),
    NOT_TCP("no: only TCP is intercepted inbound"),
    NO_RULES("no: no Istio rules"),
    UNKNOWN("unknown: the rules could not be read");

    private final String description;

    InboundPath(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The path to {@code socket} under {@code model}; empty model: the rules could not be read. */
    public static InboundPath of(Optional<InterceptionModel> model, ListeningSocket socket) {
        if (socket.loopbackOnly()) {
            return LOOPBACK_ONLY;
        }
        if (model.isEmpty()) {
            return UNKNOWN;
        }
        InterceptionModel rules = model.get();
        if (rules.mode() == InterceptionMode.NONE) {
            return NO_RULES;
        }
        if (!socket.tcp()) {
            return NOT_TCP;
        }
        int port = socket.port();
        if (Objects.equals(rules.inboundRedirectPort(), port) || Objects.equals(rules.outboundRedirectPort(), port)
                || Objects.equals(rules.hboneTunnelPort(), port)) {
            return PROXY_PORT;
        }
        if (!rules.interceptsInbound()) {
            return NOT_INTERCEPTED;
        }
        if (rules.interceptsInboundPort(port)) {
            return THROUGH_PROXY;
        }
        return rules.inboundExcludedPorts().contains(port) ? EXCLUDED : NOT_INCLUDED;
    }
}
