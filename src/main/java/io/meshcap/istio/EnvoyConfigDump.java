package io.meshcap.istio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;

/**
 * A sidecar's Envoy configuration as its admin interface dumps it ({@code pilot-agent request GET config_dump}),
 * read for one purpose: TLS key logging. It finds the sockets that carry Istio mTLS, says which EnvoyFilter match
 * reaches each of them and nothing else ({@link #keyLogTargets()}), and later shows where a {@code key_log} really
 * is ({@link #keyLogged}), since Istio applies some transport socket patches differently from what they say.
 *
 * <p>How Istio applies a MERGE patch that carries a transport socket (pilot/pkg/networking/core/envoyfilter):
 * to a filter chain or cluster whose socket has the patch's name it merges the TLS context field by field (a
 * cluster's first {@code transport_socket_matches} entry of that name); to a filter chain without a socket it
 * adds the patch's socket, and a cluster without one gets it as its socket. So a patch must never select a
 * plaintext chain or cluster: it would turn it into a TLS socket without certificates. Matches here are exact
 * (cluster names; a chain's port, name, transport protocol and ALPN) and checked against every chain the
 * listener has.
 */
public final class EnvoyConfigDump {

    /** The name of Envoy's TLS transport socket, which Istio gives every socket it configures TLS on. */
    public static final String TLS_SOCKET = "envoy.transport_sockets.tls";
    /** The listener where a sidecar accepts every inbound connection. */
    public static final String VIRTUAL_INBOUND = "virtualInbound";
    /** The SDS secret of the workload's own certificate, which only Istio mTLS sockets present. */
    static final String WORKLOAD_CERTIFICATE = "default";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LISTENERS_DUMP = "ListenersConfigDump";
    private static final String CLUSTERS_DUMP = "ClustersConfigDump";

    private final JsonNode root;

    private EnvoyConfigDump(JsonNode root) {
        this.root = root;
    }

    /**
     * @throws IllegalArgumentException if {@code json} is not a config dump (no {@code configs} list)
     */
    public static EnvoyConfigDump parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.path("configs").isArray()) {
            throw new IllegalArgumentException("not an Envoy config dump: it has no \"configs\" list");
        }
        return new EnvoyConfigDump(root);
    }

    /** {@code cluster outbound|9080||reviews.shop.svc.cluster.local}, as messages name a cluster. */
    public static String describeCluster(String name) {
        return "cluster " + name;
    }

    /**
     * The Istio mTLS sockets a key log can be put on: the {@code virtualInbound} chains that terminate TLS with the
     * workload certificate, and the clusters whose socket a CLUSTER MERGE reaches uses that certificate.
     */
    public KeyLogTargets keyLogTargets() {
        List<JsonNode> chains = inboundChains();
        List<KeyLogTargets.InboundChain> inbound = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        for (JsonNode chain : chains) {
            if (!istioMutualTls(chain.path("transport_socket"))) {
                continue;
            }
            KeyLogTargets.InboundChain target = inboundChain(chain);
            List<JsonNode> plaintext = chains.stream()
                    .filter(other -> selects(target, other) && !istioMutualTls(other.path("transport_socket")))
                    .toList();
            if (!plaintext.isEmpty()) {
                leftOut.add(target.describe() + ": a patch that selects it would also select "
                        + inboundChain(plaintext.get(0)).describe() + ", which has no Istio mTLS of its own");
            } else if (!inbound.contains(target)) {
                inbound.add(target);
            }
        }
        List<String> clusters = new ArrayList<>();
        for (JsonNode cluster : clusters()) {
            if (istioMutualTls(socketMergedInto(cluster))) {
                clusters.add(cluster.path("name").asText());
            }
        }
        return new KeyLogTargets(inbound, clusters, leftOut);
    }

    /**
     * A socket with a key log.
     *
     * @param ranges         the local address ranges it logs for, as {@code address/prefix}
     * @param istioMutualTls whether the socket is Istio mTLS (a key log anywhere else is a patch gone astray)
     */
    public record KeyLogged(Set<String> ranges, boolean istioMutualTls) {

        public KeyLogged {
            ranges = Set.copyOf(ranges);
        }
    }

    /**
     * Where a {@code key_log} writing to {@code path} is now: every inbound chain and cluster socket that has one,
     * by the name {@link KeyLogTargets#describe()} gives it (a socket name that several chains share is logged only
     * when all of them are).
     */
    public Map<String, KeyLogged> keyLogged(String path) {
        Map<String, KeyLogged> logged = new LinkedHashMap<>();
        Set<String> partly = new LinkedHashSet<>();
        for (JsonNode chain : inboundChains()) {
            String name = inboundChain(chain).describe();
            JsonNode socket = chain.path("transport_socket");
            Optional<Set<String>> ranges = keyLog(socket, path);
            if (ranges.isEmpty()) {
                partly.add(name);
            } else {
                logged.merge(name, new KeyLogged(ranges.get(), istioMutualTls(socket)), EnvoyConfigDump::both);
            }
        }
        partly.forEach(name -> logged.computeIfPresent(name, (key, value) -> value.istioMutualTls() ? null : value));
        for (JsonNode cluster : clusters()) {
            List<JsonNode> sockets = new ArrayList<>();
            sockets.add(cluster.path("transport_socket"));
            cluster.path("transport_socket_matches").forEach(match -> sockets.add(match.path("transport_socket")));
            for (JsonNode socket : sockets) {
                keyLog(socket, path).ifPresent(ranges -> logged.merge(describeCluster(cluster.path("name").asText()),
                        new KeyLogged(ranges, istioMutualTls(socket)), EnvoyConfigDump::both));
            }
        }
        return logged;
    }

    /** Two sockets of one name: the ranges both log for; Istio mTLS only if both are. */
    private static KeyLogged both(KeyLogged a, KeyLogged b) {
        Set<String> ranges = new LinkedHashSet<>(a.ranges());
        ranges.retainAll(b.ranges());
        return new KeyLogged(ranges, a.istioMutualTls() && b.istioMutualTls());
    }

    /**
     * Updates Envoy refused, as its dump records them ({@code error_state} of a listener or cluster): what it
     * rejected and why, e.g. {@code listener virtualInbound: Failed to load ...}.
     */
    public List<String> rejectedUpdates() {
        List<String> rejected = new ArrayList<>();
        for (JsonNode config : root.path("configs")) {
            String type = config.path("@type").asText();
            List<JsonNode> entries = new ArrayList<>();
            if (type.endsWith(LISTENERS_DUMP)) {
                config.path("dynamic_listeners").forEach(entries::add);
            } else if (type.endsWith(CLUSTERS_DUMP)) {
                config.path("dynamic_active_clusters").forEach(entries::add);
                config.path("dynamic_warming_clusters").forEach(entries::add);
            }
            for (JsonNode entry : entries) {
                JsonNode error = entry.path("error_state");
                if (!error.isMissingNode()) {
                    String name = entry.has("name") ? "listener " + entry.path("name").asText()
                            : describeCluster(entry.path("cluster").path("name").asText());
                    rejected.add(name + ": " + error.path("details").asText("(no details)").strip());
                }
            }
        }
        return rejected;
    }

    private List<JsonNode> inboundChains() {
        List<JsonNode> chains = new ArrayList<>();
        for (JsonNode config : root.path("configs")) {
            if (config.path("@type").asText().endsWith(LISTENERS_DUMP)) {
                for (JsonNode listener : config.path("dynamic_listeners")) {
                    if (listener.path("name").asText().equals(VIRTUAL_INBOUND)) {
                        listener.path("active_state").path("listener").path("filter_chains").forEach(chains::add);
                    }
                }
            }
        }
        return chains;
    }

    private List<JsonNode> clusters() {
        List<JsonNode> clusters = new ArrayList<>();
        for (JsonNode config : root.path("configs")) {
            if (config.path("@type").asText().endsWith(CLUSTERS_DUMP)) {
                config.path("dynamic_active_clusters").forEach(entry -> clusters.add(entry.path("cluster")));
            }
        }
        return clusters;
    }

    private static KeyLogTargets.InboundChain inboundChain(JsonNode chain) {
        JsonNode match = chain.path("filter_chain_match");
        List<String> alpn = StreamSupport.stream(match.path("application_protocols").spliterator(), false)
                .map(JsonNode::asText).toList();
        return new KeyLogTargets.InboundChain(chain.path("name").asText(""), match.path("destination_port").asInt(0),
                match.path("transport_protocol").asText(""), alpn);
    }

    /**
     * Whether Istio would apply {@code target}'s match to {@code chain} of {@code virtualInbound}: the listener's
     * {@code portNumber} against the chain's destination port, then the chain's name, transport protocol and
     * every listed ALPN protocol (pilot/pkg/networking/core/envoyfilter, filterChainMatch).
     */
    static boolean selects(KeyLogTargets.InboundChain target, JsonNode chain) {
        KeyLogTargets.InboundChain other = inboundChain(chain);
        return (target.port() == 0 || target.port() == other.port())
                && (target.name().isEmpty() || target.name().equals(other.name()))
                && (target.transportProtocol().isEmpty() || target.transportProtocol().equals(other.transportProtocol()))
                && other.alpn().containsAll(target.alpn());
    }

    /**
     * The socket a CLUSTER MERGE with a TLS socket merges into: the first {@code transport_socket_matches} entry
     * whose socket is TLS (Istio's {@code tlsMode-istio}), else the cluster's own socket; missing when neither.
     */
    private static JsonNode socketMergedInto(JsonNode cluster) {
        JsonNode matches = cluster.path("transport_socket_matches");
        if (matches.isArray() && !matches.isEmpty()) {
            for (JsonNode match : matches) {
                if (match.path("transport_socket").path("name").asText().equals(TLS_SOCKET)) {
                    return match.path("transport_socket");
                }
            }
            return matches.path("none");
        }
        return cluster.path("transport_socket");
    }

    /** Whether {@code socket} is TLS presenting the workload's Istio certificate (SDS secret "default"). */
    private static boolean istioMutualTls(JsonNode socket) {
        if (!socket.path("name").asText().equals(TLS_SOCKET)) {
            return false;
        }
        for (JsonNode secret : socket.path("typed_config").path("common_tls_context")
                .path("tls_certificate_sds_secret_configs")) {
            if (secret.path("name").asText().equals(WORKLOAD_CERTIFICATE)) {
                return true;
            }
        }
        return false;
    }

    /** The local address ranges of {@code socket}'s key log if it writes to {@code path}. */
    private static Optional<Set<String>> keyLog(JsonNode socket, String path) {
        JsonNode keyLog = socket.path("typed_config").path("common_tls_context").path("key_log");
        if (!keyLog.path("path").asText().equals(path)) {
            return Optional.empty();
        }
        Set<String> ranges = new LinkedHashSet<>();
        keyLog.path("local_address_range").forEach(range -> ranges.add(range.path("address_prefix").asText() + "/"
                + range.path("prefix_len").asInt(0)));
        return Optional.of(ranges);
    }
}
