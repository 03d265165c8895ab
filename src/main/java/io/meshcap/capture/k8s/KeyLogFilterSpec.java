package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshcap.istio.EnvoyConfigDump;
import io.meshcap.istio.KeyLogTargets;
import io.meshcap.net.Addresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The EnvoyFilter that makes one pod's sidecar log its TLS keys (Envoy's {@code CommonTlsContext.key_log}, NSS
 * format) for its Istio mTLS sockets: a MERGE patch per inbound filter chain (SIDECAR_INBOUND, listener
 * {@code virtualInbound}) and per outbound cluster (SIDECAR_OUTBOUND, by name) that {@link KeyLogTargets} found,
 * each adding only the key log to the socket's TLS context. It selects the pod by its labels (which other replicas
 * share: the key log's {@code local_address_range}, the pod's own addresses, keeps theirs out) and is labelled
 * and annotated for {@code meshcap cleanup}. Pure; {@code src/test/resources/k8s/envoyfilter-keylog.yaml} is its
 * reviewed golden.
 */
public final class KeyLogFilterSpec {

    /** Where Istio's EnvoyFilter is served (it has no other version). */
    public static final ResourceDefinitionContext ENVOY_FILTER = new ResourceDefinitionContext.Builder()
            .withGroup(Permission.ISTIO_NETWORKING).withVersion("v1alpha3").withKind("EnvoyFilter")
            .withPlural(Permission.ENVOY_FILTERS).withNamespaced(true).build();
    private static final String API_VERSION = ENVOY_FILTER.getGroup() + "/" + ENVOY_FILTER.getVersion();
    /**
     * The istio-proxy container's {@code istio-envoy} volume: an in-memory emptyDir that Envoy may write to (the
     * container's root file system, /tmp included, is read-only in Istio's injection template). Keys written there
     * stay in memory and go with the pod.
     */
    public static final String KEY_LOG_DIRECTORY = "/etc/istio/proxy";
    /** The key log file of a filter, in the pod's istio-proxy container. */
    public static final String KEY_LOG_ANNOTATION = "meshcap.io/key-log";
    /** The container that holds the key log file. */
    public static final String KEY_LOG_CONTAINER_ANNOTATION = "meshcap.io/key-log-container";

    /**
     * The largest filter applied, as JSON: etcd keeps objects of at most 1.5 MiB by default, and the API server adds
     * its own metadata. One outbound cluster's patch takes about 550 bytes, so this holds some 1,900 clusters.
     */
    public static final int MAX_BYTES = 1 << 20;

    private static final String NAME_PREFIX = MeshcapObjects.NAME_PREFIX + "keylog-";
    private static final int MAX_NAME = 253;
    private static final String DOWNSTREAM = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."
            + "DownstreamTlsContext";
    private static final String UPSTREAM = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."
            + "UpstreamTlsContext";
    private static final int IPV4_BITS = 32;
    private static final int IPV6_BITS = 128;

    private KeyLogFilterSpec() {
    }

    /** The filter's name for {@code pod} in run {@code runId}: {@code meshcap-keylog-RUN-POD}, cut to fit. */
    public static String name(String runId, String pod) {
        String name = NAME_PREFIX + runId + "-" + pod;
        if (name.length() <= MAX_NAME) {
            return name;
        }
        // A pod name is a DNS subdomain: cut it, then drop what a subdomain may not end with.
        return name.substring(0, MAX_NAME).replaceAll("[-.]+$", "");
    }

    /**
     * The key log file of run {@code runId}, in the istio-proxy container. One file per run, whatever the pod: pods
     * that share labels get each other's patches too, and Envoy keeps the path of whichever it merges last.
     */
    public static String keyLogPath(String runId) {
        return KEY_LOG_DIRECTORY + "/" + MeshcapObjects.NAME_PREFIX + runId + "-tls-keys.log";
    }

    /**
     * @param pod     the pod whose sidecar logs its keys (namespace, labels, addresses, proxy container)
     * @param runId   labels the filter for {@code meshcap cleanup --run}
     * @param targets the sockets to patch
     */
    public static GenericKubernetesResource build(PodInfo pod, String runId, KeyLogTargets targets) {
        String path = keyLogPath(runId);
        List<Map<String, Object>> patches = new ArrayList<>();
        for (KeyLogTargets.InboundChain chain : targets.inbound()) {
            patches.add(patch("FILTER_CHAIN", "SIDECAR_INBOUND", "listener", inboundMatch(chain),
                    socket(DOWNSTREAM, path, pod.ips())));
        }
        for (String cluster : targets.clusters()) {
            patches.add(patch("CLUSTER", "SIDECAR_OUTBOUND", "cluster", Map.of("name", cluster),
                    socket(UPSTREAM, path, pod.ips())));
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("workloadSelector", Map.of("labels", pod.labels()));
        spec.put("configPatches", patches);
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(API_VERSION)
                .withKind(ENVOY_FILTER.getKind())
                .withNewMetadata()
                    .withName(name(runId, pod.name()))
                    .withNamespace(pod.namespace())
                    .addToLabels(MeshcapObjects.MANAGED_BY_LABEL, MeshcapObjects.MANAGED_BY_VALUE)
                    .addToLabels(MeshcapObjects.RUN_LABEL, runId)
                    .addToAnnotations(MeshcapObjects.TARGET_ANNOTATION, pod.ref().toString())
                    .addToAnnotations(KEY_LOG_ANNOTATION, path)
                    .addToAnnotations(KEY_LOG_CONTAINER_ANNOTATION, proxyContainer(pod))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }

    static String proxyContainer(PodInfo pod) {
        return pod.proxy().map(ProxyInfo::container).orElse(ProxyInfo.CONTAINER_NAME);
    }

    /**
     * The match that selects {@code chain} and, as {@link EnvoyConfigDump#keyLogTargets()} checked, no chain
     * without Istio mTLS: the listener's port (compared with the chain's destination port in a virtual listener)
     * and the chain's name, transport protocol and ALPN protocols, each only when the chain has it.
     */
    private static Map<String, Object> inboundMatch(KeyLogTargets.InboundChain chain) {
        Map<String, Object> filterChain = new LinkedHashMap<>();
        if (!chain.name().isEmpty()) {
            filterChain.put("name", chain.name());
        }
        if (!chain.transportProtocol().isEmpty()) {
            filterChain.put("transportProtocol", chain.transportProtocol());
        }
        if (!chain.alpn().isEmpty()) {
            filterChain.put("applicationProtocols", String.join(",", chain.alpn()));
        }
        Map<String, Object> listener = new LinkedHashMap<>();
        listener.put("name", EnvoyConfigDump.VIRTUAL_INBOUND);
        if (chain.port() > 0) {
            listener.put("portNumber", chain.port());
        }
        listener.put("filterChain", filterChain);
        return listener;
    }

    private static Map<String, Object> patch(String applyTo, String context, String object, Map<String, Object> match,
            Map<String, Object> value) {
        Map<String, Object> matchAll = new LinkedHashMap<>();
        matchAll.put("context", context);
        matchAll.put(object, match);
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("operation", "MERGE");
        patch.put("value", value);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("applyTo", applyTo);
        entry.put("match", matchAll);
        entry.put("patch", patch);
        return entry;
    }

    /**
     * A transport socket of Istio's name whose TLS context holds only the key log: merged into the socket's own
     * context, it adds {@code key_log} and changes nothing else.
     */
    private static Map<String, Object> socket(String contextType, String path, List<InetAddress> addresses) {
        Map<String, Object> keyLog = new LinkedHashMap<>();
        keyLog.put("path", path);
        keyLog.put("local_address_range", addresses.stream().map(KeyLogFilterSpec::cidrRange).toList());
        Map<String, Object> typedConfig = new LinkedHashMap<>();
        typedConfig.put("@type", contextType);
        typedConfig.put("common_tls_context", Map.of("key_log", keyLog));
        Map<String, Object> socket = new LinkedHashMap<>();
        socket.put("name", EnvoyConfigDump.TLS_SOCKET);
        socket.put("typed_config", typedConfig);
        return Map.of("transport_socket", socket);
    }

    /** Envoy's {@code config.core.v3.CidrRange} of one address. */
    private static Map<String, Object> cidrRange(InetAddress address) {
        Map<String, Object> range = new LinkedHashMap<>();
        range.put("address_prefix", Addresses.format(address));
        range.put("prefix_len", prefixLength(address));
        return range;
    }

    /** {@code 10.244.1.17/32}: the range of one address, as {@link EnvoyConfigDump#keyLogged} writes it. */
    static String cidr(InetAddress address) {
        return Addresses.format(address) + "/" + prefixLength(address);
    }

    private static int prefixLength(InetAddress address) {
        return address instanceof Inet4Address ? IPV4_BITS : IPV6_BITS;
    }
}
