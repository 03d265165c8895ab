package io.meshcap.lab;

import java.util.HashMap;
import java.util.Map;

/**
 * The first line a lab server sends back: who it is, the connection's two addresses as the server's socket saw
 * them, and the size and SHA-256 of the request it read. The request bytes follow, echoed unchanged, so a client
 * verifies both directions end to end.
 *
 * @param role  {@code app} or {@code upstream}
 * @param local the server socket's local address
 * @param peer  the remote address the server saw (127.0.0.6 for inbound through the sidecar)
 * @param bytes request length
 * @param sha256 request digest, lower-case hex
 */
record ServerReport(String role, Endpoint local, Endpoint peer, long bytes, String sha256) {

    static final String MAGIC = "MESHCAP-ECHO";

    /** The header line, newline-terminated; addresses and ports are separate fields so IPv6 needs no brackets. */
    String line() {
        return MAGIC + " role=" + role + " local-address=" + local.address() + " local-port=" + local.port()
                + " peer-address=" + peer.address() + " peer-port=" + peer.port() + " bytes=" + bytes
                + " sha256=" + sha256 + "\n";
    }

    static ServerReport parse(String line) {
        String[] words = line.strip().split(" ");
        if (words.length == 0 || !words[0].equals(MAGIC)) {
            throw new IllegalArgumentException("not a lab server reply: " + line);
        }
        Map<String, String> fields = new HashMap<>();
        for (int i = 1; i < words.length; i++) {
            int equals = words[i].indexOf('=');
            if (equals > 0) {
                fields.put(words[i].substring(0, equals), words[i].substring(equals + 1));
            }
        }
        try {
            return new ServerReport(fields.get("role"),
                    new Endpoint(fields.get("local-address"), Integer.parseInt(fields.get("local-port"))),
                    new Endpoint(fields.get("peer-address"), Integer.parseInt(fields.get("peer-port"))),
                    Long.parseLong(fields.get("bytes")), fields.get("sha256"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("incomplete lab server reply: " + line, e);
        }
    }
}
