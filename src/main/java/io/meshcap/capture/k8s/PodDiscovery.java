package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import io.meshcap.net.Addresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Finds target pods through the API and describes each as a {@link PodInfo}. */
public final class PodDiscovery {

    private static final String TCP = "TCP";
    // Init containers with this restart policy are native sidecars: they run for the pod's lifetime.
    private static final String NATIVE_SIDECAR_RESTART_POLICY = "Always";
    private static final String UNKNOWN = "unknown";
    /** The assumption made when the proxy sets no runAsUser; the pod's rules, once read, say for sure. */
    static final String NO_RUN_AS_USER = "istio-proxy sets no runAsUser: assuming proxy uid ";

    private final KubernetesClient client;

    public PodDiscovery(KubernetesClient client) {
        this.client = client;
    }

    /**
     * The named pod.
     *
     * @throws MeshcapException if it does not exist or may not be read
     */
    public PodInfo get(PodRef ref) {
        Pod pod = KubernetesClients.readPod(client, ref);
        if (pod == null) {
            throw MeshcapException.failure("pod " + ref + " not found; list the pods with: kubectl get pods -n "
                    + ref.namespace());
        }
        return describe(pod);
    }

    /**
     * Every pod in {@code namespace} matching the label selector {@code selector} (kubectl syntax), by name.
     *
     * @throws MeshcapException if none matches, or pods may not be listed
     */
    public List<PodInfo> select(String namespace, String selector) {
        KubeNames.namespace(namespace, "--namespace");
        if (selector == null || selector.isBlank()) {
            throw MeshcapException.usage("--selector: the label selector is empty (e.g. app=reviews)");
        }
        List<Pod> pods;
        try {
            pods = client.pods().inNamespace(namespace).withLabelSelector(selector).list().getItems();
        } catch (KubernetesClientException e) {
            throw ApiFailures.explain(client, e, "list pods matching '" + selector + "' in namespace " + namespace, "");
        }
        if (pods.isEmpty()) {
            throw MeshcapException.failure("no pod in namespace " + namespace + " matches '" + selector
                    + "'; check with: kubectl get pods -n " + namespace + " -l '" + selector + "'");
        }
        return pods.stream()
                .map(PodDiscovery::describe)
                .sorted(Comparator.comparing(PodInfo::name))
                .toList();
    }

    /** Describes a pod object; pure, so it is tested on pod objects directly. */
    public static PodInfo describe(Pod pod) {
        PodSpec spec = Objects.requireNonNullElseGet(pod.getSpec(), PodSpec::new);
        PodStatus status = Objects.requireNonNullElseGet(pod.getStatus(), PodStatus::new);
        long podUser = Optional.ofNullable(spec.getSecurityContext()).map(PodSecurityContext::getRunAsUser)
                .orElse(ContainerInfo.UNSET_USER);

        Stream<Container> nativeSidecars = spec.getInitContainers().stream()
                .filter(c -> NATIVE_SIDECAR_RESTART_POLICY.equals(c.getRestartPolicy()));
        List<ContainerStatus> statuses = new ArrayList<>(status.getContainerStatuses());
        statuses.addAll(status.getInitContainerStatuses());
        List<ContainerInfo> containers = Stream.concat(spec.getContainers().stream(), nativeSidecars)
                .map(c -> container(c, statuses, podUser))
                .toList();

        List<String> assumptions = new ArrayList<>();
        Optional<ProxyInfo> proxy = containers.stream()
                .filter(c -> c.name().equals(ProxyInfo.CONTAINER_NAME))
                .findFirst()
                .map(c -> proxy(c, assumptions));

        Map<String, String> annotations = new LinkedHashMap<>();
        pod.getMetadata().getAnnotations().forEach((key, value) -> {
            if (key.equals(PodInfo.INTERCEPTION_MODE_ANNOTATION) || key.startsWith(PodInfo.TRAFFIC_ANNOTATION_PREFIX)) {
                annotations.put(key, value);
            }
        });
        if (proxy.isPresent() && !annotations.containsKey(PodInfo.INTERCEPTION_MODE_ANNOTATION)) {
            assumptions.add("no " + PodInfo.INTERCEPTION_MODE_ANNOTATION + " annotation: assuming Istio's default "
                    + PodInfo.DEFAULT_INTERCEPTION_MODE + " (the pod's iptables rules, collected in-pod, say for sure)");
        }

        return new PodInfo(
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                Objects.requireNonNullElse(spec.getNodeName(), ""),
                Objects.requireNonNullElse(status.getPhase(), UNKNOWN),
                addresses(status),
                containers,
                proxy,
                annotations,
                new TreeMap<>(pod.getMetadata().getLabels()),
                spec.getEphemeralContainers().stream().map(EphemeralContainer::getName).toList(),
                assumptions);
    }

    private static List<InetAddress> addresses(PodStatus status) {
        List<String> texts = status.getPodIPs().stream().map(PodIP::getIp).filter(Objects::nonNull).toList();
        if (texts.isEmpty() && status.getPodIP() != null) {
            texts = List.of(status.getPodIP());
        }
        return texts.stream().map(ip -> Addresses.parse(ip, "pod IP")).toList();
    }

    private static ContainerInfo container(Container c, List<ContainerStatus> statuses, long podUser) {
        Optional<ContainerStatus> status = statuses.stream().filter(s -> c.getName().equals(s.getName())).findFirst();
        Optional<SecurityContext> security = Optional.ofNullable(c.getSecurityContext());
        return new ContainerInfo(
                c.getName(),
                Objects.requireNonNullElse(c.getImage(), ""),
                c.getPorts().stream()
                        .filter(p -> p.getProtocol() == null || TCP.equals(p.getProtocol()))
                        .map(ContainerPort::getContainerPort)
                        .filter(Objects::nonNull)
                        .toList(),
                status.map(ContainerStatus::getContainerID).map(PodDiscovery::bareContainerId).orElse(""),
                status.map(s -> s.getState() != null && s.getState().getRunning() != null).orElse(false),
                security.map(SecurityContext::getPrivileged).orElse(false),
                security.map(SecurityContext::getRunAsUser).orElse(podUser));
    }

    private static ProxyInfo proxy(ContainerInfo c, List<String> assumptions) {
        boolean uidAssumed = c.runAsUser() == ContainerInfo.UNSET_USER;
        if (uidAssumed) {
            assumptions.add(NO_RUN_AS_USER + ProxyInfo.DEFAULT_UID);
        }
        return new ProxyInfo(c.name(), c.image(), imageTag(c.image()),
                uidAssumed ? ProxyInfo.DEFAULT_UID : c.runAsUser(), uidAssumed, c.privileged());
    }

    /** {@code docker.io/istio/proxyv2:1.22.3@sha256:...} → {@code 1.22.3}; no tag → "unknown". */
    static String imageTag(String image) {
        String withoutDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        String lastPart = withoutDigest.substring(withoutDigest.lastIndexOf('/') + 1);
        int colon = lastPart.indexOf(':');
        return colon < 0 ? UNKNOWN : lastPart.substring(colon + 1);
    }

    /** {@code containerd://0123ab...} → {@code 0123ab...}. */
    static String bareContainerId(String id) {
        int scheme = id.indexOf("://");
        return scheme < 0 ? id : id.substring(scheme + 3);
    }
}
