package io.meshcap.lab;

import java.util.HashMap;
import java.util.Map;

/**
 * What a lab server tells its client in the {@value LabHttp#ECHO_HEADER} header of its answer: who it is, the
 * connection's two addresses as the server's socket saw them, and the size and SHA-256 of the request it read. The
 * request follows as the body, echoed unchanged, so a client verifies both directions end to end.
 *
 * @param role  {@code app} or {@code upstream}
 * @param local the server socket's local address
 * @param peer  the remote address the server saw (127.0.0.6 for inbound through the sidecar)
 * @param bytes request length
 * @param sha256 request digest, lower-case hex
 */
record ServerReport(String role, Endpoint local, Endpoint peer, long bytes, String sha256) {

    /** The header value; addresses and ports are separate fields so IPv6 needs no brackets. */
    String value() {
        return "role=" + role + " local-address=" + local.address() + " local-port=" + local.port()
                + " peer-address=" + peer.address() + " peer-port=" + peer.port() + " bytes=" + bytes
                + " sha256=" + sha256;
    }

    static ServerReport parse(String value) {
        if (value == null) {
            throw new IllegalArgumentException("not a lab server's answer: no " + LabHttp.ECHO_HEADER + " header");
        }
        Map<String, String> fields = new HashMap<>();
        for (String word : value.strip().split(" ")) {
            int equals = word.indexOf('=');
            if (equals > 0) {
                fields.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        try {
            return new ServerReport(fields.get("role"),
                    new Endpoint(fields.get("local-address"), Integer.parseInt(fields.get("local-port"))),
                    new Endpoint(fields.get("peer-address"), Integer.parseInt(fields.get("peer-port"))),
                    Long.parseLong(fields.get("bytes")), fields.get("sha256"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("incomplete lab server report: " + value, e);
        }
    }
}
