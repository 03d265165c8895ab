package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureInterface;
import io.meshcap.net.Addresses;
import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the API says about a target pod: everything filters and strategies are built from. Immutable.
 *
 * @param namespace           the namespace
 * @param name                the pod name
 * @param node                the node it is scheduled on, or empty
 * @param phase               its phase (Running, Pending, ...)
 * @param ips                 its addresses, IPv4 and IPv6 (podIPs)
 * @param containers          its long-running containers: regular ones and native sidecars (init containers
 *                            with restartPolicy Always, as Istio injects istio-proxy on recent Kubernetes)
 * @param proxy               its Istio sidecar, if it has one
 * @param istioAnnotations    {@code sidecar.istio.io/interceptionMode} and {@code traffic.sidecar.istio.io/*}
 * @param labels              its labels (what an EnvoyFilter's workloadSelector selects it by)
 * @param ephemeralContainers the names of ephemeral containers already in the pod
 * @param assumptions         what was not in the API and was assumed, in words for the user
 */
public record PodInfo(
        String namespace,
        String name,
        String node,
        String phase,
        List<InetAddress> ips,
        List<ContainerInfo> containers,
        Optional<ProxyInfo> proxy,
        Map<String, String> istioAnnotations,
        Map<String, String> labels,
        List<String> ephemeralContainers,
        List<String> assumptions) {

    public static final String RUNNING = "Running";
    public static final String INTERCEPTION_MODE_ANNOTATION = "sidecar.istio.io/interceptionMode";
    public static final String TRAFFIC_ANNOTATION_PREFIX = "traffic.sidecar.istio.io/";
    /** Istio's interception mode when the annotation is absent. */
    public static final String DEFAULT_INTERCEPTION_MODE = "REDIRECT";

    public PodInfo {
        ips = List.copyOf(ips);
        containers = List.copyOf(containers);
        // By name: Map.copyOf's order changes from one JVM to the next, and pod.txt lists them in this order.
        istioAnnotations = Collections.unmodifiableMap(new TreeMap<>(istioAnnotations));
        labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        ephemeralContainers = List.copyOf(ephemeralContainers);
        assumptions = List.copyOf(assumptions);
    }

    public PodRef ref() {
        return new PodRef(namespace, name);
    }

    public boolean running() {
        return RUNNING.equals(phase);
    }

    /** REDIRECT or TPROXY, from the annotation; REDIRECT (Istio's default) when it is absent. */
    public String interceptionMode() {
        return istioAnnotations.getOrDefault(INTERCEPTION_MODE_ANNOTATION, DEFAULT_INTERCEPTION_MODE);
    }

    /** The declared TCP ports of the application containers (every container but the proxy), in order. */
    public List<Integer> appPorts() {
        String proxyName = proxy.map(ProxyInfo::container).orElse("");
        Set<Integer> ports = new LinkedHashSet<>();
        for (ContainerInfo container : containers) {
            if (!container.name().equals(proxyName)) {
                ports.addAll(container.tcpPorts());
            }
        }
        return List.copyOf(ports);
    }

    /**
     * The container to capture from: {@code requested} if given, else the proxy, else the first container.
     *
     * @throws MeshcapException if the requested container is not in the pod
     */
    public ContainerInfo container(Optional<String> requested) {
        if (requested.isPresent()) {
            String wanted = requested.get();
            return containers.stream()
                    .filter(c -> c.name().equals(wanted))
                    .findFirst()
                    .orElseThrow(() -> MeshcapException.usage("container '" + wanted + "' not found in pod "
                            + ref() + "; it has: " + containers.stream().map(ContainerInfo::name)
                                    .collect(Collectors.joining(", "))
                            + " (pick one with --container)"));
        }
        Optional<String> proxyName = proxy.map(ProxyInfo::container);
        if (proxyName.isPresent()) {
            return container(proxyName);
        }
        if (containers.isEmpty()) {
            throw MeshcapException.failure("pod " + ref() + " has no containers");
        }
        return containers.get(0);
    }

    /**
     * What a capture leg records about its target (written into the pcapng interface description):
     * namespace, pod, node, addresses, proxy and interception details.
     */
    public Map<String, String> metadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("namespace", namespace);
        metadata.put("pod", name);
        metadata.put("node", node);
        metadata.put(CaptureInterface.POD_IPS_KEY, ips.stream().map(Addresses::format).collect(Collectors.joining(",")));
        proxy.ifPresent(p -> {
            metadata.put("istio-version", p.version());
            metadata.put("proxy-uid", Long.toString(p.uid()));
        });
        metadata.put("interception-mode", interceptionMode());
        return metadata;
    }
}
