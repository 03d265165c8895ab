package io.meshcap.reassoc;

import java.util.List;

/**
 * One TCP connection on one interface, as {@code meshcap streams} lists it.
 *
 * @param stream          index in order of first packet, like Wireshark's {@code tcp.stream} on ordinary captures
 * @param interfaceId     the interface it was captured on
 * @param interfaceName   that interface's name, or {@code ifN}
 * @param leg             the {@link Leg} label
 * @param client          the endpoint that sent the SYN (mid-stream: the one with the higher port)
 * @param server          the other endpoint
 * @param handshake       whether the capture holds the SYN
 * @param state           {@code open}, {@code closed} (FIN both ways) or {@code reset}
 * @param startNanos      first packet, nanoseconds since the epoch
 * @param endNanos        last packet
 * @param packetsToServer packets client to server
 * @param packetsToClient packets server to client
 * @param bytesToServer   TCP payload bytes client to server
 * @param bytesToClient   TCP payload bytes server to client
 * @param firstFrame      frame number (1-based, as in Wireshark) of the first packet
 * @param tls             the ClientHello the client sent first, or {@code null}
 * @param plaintext       whether the client's first bytes were something other than a TLS ClientHello
 * @param decryption      whether the TLS session could be decrypted and why not, or {@code null} when it is not TLS
 * @param requests        HTTP/1.x requests read from what the client sent (decrypted on TLS), or {@code null} when
 *                        requests were not read (no keys: nothing to join them with)
 */
public record StreamSummary(int stream, int interfaceId, String interfaceName, String leg, String client,
                            String server, boolean handshake, String state, long startNanos, long endNanos,
                            long packetsToServer, long packetsToClient, long bytesToServer, long bytesToClient,
                            long firstFrame, Tls tls, boolean plaintext, Decryption decryption,
                            Integer requests) {

    /**
     * What the connection's TLS ClientHello showed.
     *
     * @param sni          server name, or {@code null}
     * @param alpn         offered protocols
     * @param istio        whether it is Istio mTLS (Istio's SNI form or an {@code istio*} ALPN protocol)
     * @param clientRandom the hello's random (hex): a TLS key log's secrets for the connection are filed under it
     */
    public record Tls(String sni, List<String> alpn, boolean istio, String clientRandom) {

        public Tls {
            alpn = List.copyOf(alpn);
        }
    }

    /**
     * Whether a TLS connection could be decrypted.
     *
     * @param status {@code decrypted}, {@code no key log}, {@code no key}, {@code key does not match},
     *               {@code handshake not captured}, {@code TLS 1.1 or older} or {@code cipher suite not supported}
     * @param detail why, in words: which key is missing, when key logging started, what stopped decryption early
     */
    public record Decryption(String status, String detail) {
    }

    /** {@code 198.18.0.2:41234 > 198.18.0.1:8080 (lo, outbound-plain)}. */
    public String describe() {
        return client + " > " + server + " (" + interfaceName + ", " + leg + ")";
    }
}
