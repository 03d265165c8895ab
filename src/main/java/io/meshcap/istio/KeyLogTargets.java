package io.meshcap.istio;

import java.util.List;
import java.util.stream.Stream;

/**
 * The TLS sockets of a sidecar's Envoy that carry Istio mTLS, each with the EnvoyFilter match that selects it and
 * nothing else: where a {@code key_log} goes so that the pod's mTLS legs can be decrypted.
 *
 * @param inbound  the {@code virtualInbound} listener's filter chains that terminate Istio mTLS
 * @param clusters the names of the outbound clusters whose Istio mTLS socket a CLUSTER MERGE patch reaches
 * @param leftOut  Istio mTLS sockets no patch can reach without also reaching a socket that has no TLS, in words
 */
public record KeyLogTargets(List<InboundChain> inbound, List<String> clusters, List<String> leftOut) {

    public KeyLogTargets {
        inbound = List.copyOf(inbound);
        clusters = List.copyOf(clusters);
        leftOut = List.copyOf(leftOut);
    }

    /**
     * One inbound filter chain and its EnvoyFilter match (SIDECAR_INBOUND, listener {@code virtualInbound}).
     *
     * @param name              the chain's name, or empty (then the match leaves it out)
     * @param port              its {@code destination_port}, or 0 when it has none (the match's listener
     *                          {@code portNumber}, which Istio compares with a virtual listener's chains' port)
     * @param transportProtocol its {@code transport_protocol} ({@code tls} for Istio's mTLS chains), or empty
     * @param alpn              its {@code application_protocols}, in order (the match lists them comma-separated;
     *                          Istio selects chains that have all of them)
     */
    public record InboundChain(String name, int port, String transportProtocol, List<String> alpn) {

        public InboundChain {
            alpn = List.copyOf(alpn);
        }

        /** {@code inbound chain 0.0.0.0_9080 (port 9080, tls, ALPN istio-http/1.1,istio)}, for messages. */
        public String describe() {
            return "inbound chain " + (name.isEmpty() ? "(unnamed)" : name) + " (" + (port == 0 ? "any port" : "port "
                    + port) + (transportProtocol.isEmpty() ? "" : ", " + transportProtocol)
                    + (alpn.isEmpty() ? "" : ", ALPN " + String.join(",", alpn)) + ")";
        }
    }

    /** The inbound chains alone (what is left out stays said). */
    public KeyLogTargets withoutClusters() {
        return new KeyLogTargets(inbound, List.of(), leftOut);
    }

    /** Whether there is nothing to put a key log on. */
    public boolean isEmpty() {
        return inbound.isEmpty() && clusters.isEmpty();
    }

    /** How many sockets the patches reach. */
    public int size() {
        return inbound.size() + clusters.size();
    }

    /** Every target as {@link EnvoyConfigDump#keyLogged} names it: inbound chains, then clusters. */
    public List<String> describe() {
        return Stream.concat(inbound.stream().map(InboundChain::describe),
                clusters.stream().map(EnvoyConfigDump::describeCluster)).toList();
    }
}
