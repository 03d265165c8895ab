package io.meshcap.lab;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One lab connection as its endpoints saw it, from their sockets (never from a capture): the ground truth that
 * capture tests compare packets against.
 *
 * @param id             sequence number within the traffic run
 * @param requestId      the call's {@code x-request-id} header (a random UUID), the same on every leg it crosses
 * @param kind           inbound (mesh client to the pod's app) or outbound (the pod's app to an upstream)
 * @param family         {@code ipv4} or {@code ipv6}
 * @param appPort        the application port the connection was for
 * @param client         the connecting socket's local address: the mesh client for inbound, the app in the pod for
 *                       outbound (POD_IP:eph, the port that appears on {@code lo} toward 127.0.0.1:15001)
 * @param destination    where the client connected: POD_IP:appPort for inbound, the original destination
 *                       (upstream:appPort) for outbound
 * @param serverRole     the server that answered: {@code app} for inbound, {@code upstream} for outbound
 * @param serverLocal    the accepting socket's local address
 * @param serverPeer     the remote address the server saw: 127.0.0.6:eph (::6) for inbound, the sidecar's own
 *                       connection POD_IP:eph2 for outbound
 * @param requestBytes   bytes of the HTTP request the client sent (head and body, as plaintext)
 * @param requestSha256  SHA-256 of that request
 * @param responseBytes  bytes of the answer's body, which echoes the request as the server read it
 * @param responseSha256 SHA-256 of the echoed bytes
 * @param verified       the server received exactly the request and the client received exactly the echo
 * @param viaSidecar     the connection went through the sidecar, as the server saw it: inbound, the app's peer was
 *                       Envoy's inbound source (127.0.0.6, ::6); outbound, the upstream's peer was a connection of
 *                       its own, not the app's. False means the rules let the call bypass the sidecar.
 */
public record LedgerEntry(
        int id,
        String requestId,
        Kind kind,
        String family,
        int appPort,
        Endpoint client,
        Endpoint destination,
        String serverRole,
        Endpoint serverLocal,
        Endpoint serverPeer,
        long requestBytes,
        String requestSha256,
        long responseBytes,
        String responseSha256,
        boolean verified,
        boolean viaSidecar) {

    /** Which way the connection crossed the pod. */
    public enum Kind {
        @JsonProperty("inbound")
        INBOUND,
        @JsonProperty("outbound")
        OUTBOUND
    }
}
