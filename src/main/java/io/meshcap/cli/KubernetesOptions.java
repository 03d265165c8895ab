package io.meshcap.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import io.meshcap.capture.k8s.ClusterRun;
import io.meshcap.capture.k8s.KubeNames;
import io.meshcap.capture.k8s.KubernetesCaptureSource;
import io.meshcap.capture.k8s.LaunchSettings;
import io.meshcap.capture.k8s.PodDiscovery;
import io.meshcap.capture.k8s.PodFacts;
import io.meshcap.capture.k8s.PodInfo;
import io.meshcap.capture.k8s.PodRef;
import io.meshcap.capture.k8s.Strategy;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Kubernetes targets, kubectl style: {@code --pod [NS/]NAME} or {@code --selector LABELS}, the cluster flags of
 * {@link ClusterOptions}, and how meshcap's tools get into the pod. Meant to be {@code @Mixin}ed into
 * {@code capture}, and into {@code inspect} and {@code ports}, which read one pod ({@link #readPod});
 * {@link #requested()} tells whether the user asked for a Kubernetes target at all.
 */
final class KubernetesOptions {

    /** How many pods of a --selector are set up at once by default. */
    static final int DEFAULT_MAX_PARALLEL = 4;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--pod", paramLabel = "[NS/]NAME", description = "The pod (NS/NAME overrides -n).")
    String pod;

    @Option(names = {"-l", "--selector"}, paramLabel = "LABELS",
            description = "Capture every pod matching this label selector (e.g. app=reviews), all into one file.")
    String selector;

    @Option(names = "--container", paramLabel = "NAME",
            description = "The container whose network namespace is captured (default: istio-proxy, else the first).")
    String container;

    @Option(names = "--strategy", paramLabel = "STRATEGY", defaultValue = "auto",
            description = "How tcpdump gets into the pod: auto, ephemeral, node or exec (default: auto: exec if the proxy "
                    + "is privileged, else an ephemeral container, else a node pod; see docs/kubernetes.md).")
    Strategy strategy;

    @Option(names = "--image", paramLabel = "IMAGE", defaultValue = LaunchSettings.DEFAULT_IMAGE,
            description = "The debug image for the ephemeral container and the node pod; needs tcpdump, iptables, nft, "
                    + "ss, ip (and nsenter for the node pod). Default: ${DEFAULT-VALUE}.")
    String image;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "How long to wait for the debug container or node pod to run. Default: ${DEFAULT-VALUE}.")
    long readySeconds;

    @Option(names = "--max-parallel", paramLabel = "N", defaultValue = "" + DEFAULT_MAX_PARALLEL,
            description = "With --selector: how many pods are set up at once. Default: ${DEFAULT-VALUE}.")
    int maxParallel;

    /** Whether a Kubernetes target was given (--pod or --selector). */
    boolean requested() {
        return pod != null || selector != null;
    }

    /** Checks the flags that need no cluster, before one is contacted. */
    void validate() {
        if (pod != null && selector != null) {
            throw MeshcapException.usage("--pod and --selector exclude each other; give one");
        }
        if (maxParallel < 1) {
            throw MeshcapException.usage("--max-parallel must be at least 1 (pods set up at once), not " + maxParallel);
        }
        long longest = LaunchSettings.DEFAULT_LIFETIME.toSeconds();
        if (readySeconds <= 0 || readySeconds > longest) {
            // A helper ends by itself after its lifetime: waiting longer for it to run could never succeed.
            throw MeshcapException.usage("--ready-timeout must be between 1 and " + longest + " seconds (the debug"
                    + " container's lifetime), not " + readySeconds);
        }
        container();
    }

    /**
     * Starts this command's work in the cluster: fresh launch settings (their run ID announced) and where notes
     * go. Set-up gives up when {@code stop} is raised.
     */
    ClusterRun start(KubernetesClient client, PrintWriter err, StopSignal stop) {
        return start(client, err, stop, Optional.empty());
    }

    /** {@link #start(KubernetesClient, PrintWriter, StopSignal)} for a capture whose pods log TLS keys (--decrypt). */
    ClusterRun start(KubernetesClient client, PrintWriter err, StopSignal stop, Optional<Duration> decryption) {
        LaunchSettings settings = settings(err);
        return new ClusterRun(client, decryption.map(settings::withDecryption).orElse(settings), note -> {
            err.println("meshcap: " + note);
            err.flush();
        }, stop);
    }

    /**
     * The target pods, read from the API: the one --pod names, or every pod --selector matches (by name).
     *
     * @throws MeshcapException if neither is given, a name is invalid, or the API says no ({@link #validate()} has
     *                          refused both)
     */
    List<PodInfo> discover(KubernetesClient client) {
        if (!requested()) {
            throw MeshcapException.usage("name the target with --pod [NS/]NAME or --selector LABELS");
        }
        String namespace = cluster.namespace(client);
        PodDiscovery discovery = new PodDiscovery(client);
        if (pod != null) {
            return List.of(discovery.get(PodRef.parse(pod, namespace)));
        }
        return discovery.select(namespace, selector);
    }

    /** A pod and what was read inside its network namespace. */
    record PodRead(PodInfo pod, PodFacts facts) {
    }

    /**
     * Reads the rules, port range and sockets inside the one pod --pod names, for a command that looks rather
     * than captures: sets up the helper as a capture would ({@link KubernetesCaptureSource#open}), collects the
     * facts, and closes the source, which removes what set-up created.
     *
     * @param command the command's name, for the message when --selector is given
     * @throws MeshcapException if --selector is given, the pod is not found or not running, or no strategy works
     */
    PodRead readPod(PrintWriter err, String command) {
        if (selector != null) {
            throw MeshcapException.usage("meshcap " + command + " reads one pod: give --pod [NS/]NAME, not --selector");
        }
        validate();
        // Closed in reverse: the source (removing the helper) while the client is open, then the signals.
        try (StopSignal stop = StopSignal.onTermination(err); KubernetesClient client = cluster.connect()) {
            PodInfo target = discover(client).get(0);
            ClusterRun run = start(client, err, stop);
            try (KubernetesCaptureSource source = KubernetesCaptureSource.open(run, target, container())) {
                return new PodRead(target, source.facts());
            }
        }
    }

    /** --container, validated, if given. */
    Optional<String> container() {
        return Optional.ofNullable(container).map(name -> KubeNames.containerName(name, "--container"));
    }

    /**
     * Strategy, image and timeout, with a fresh run ID, announced before anything is created: if meshcap is killed
     * before it cleans up, that ID is how the user finds what it left.
     */
    LaunchSettings settings(PrintWriter err) {
        LaunchSettings settings = LaunchSettings.of(strategy).withImage(image)
                .withReadyTimeout(Duration.ofSeconds(readySeconds));
        err.println("meshcap: run " + settings.runId() + " (if meshcap is stopped before it cleans up: meshcap cleanup"
                + " --run " + settings.runId() + ")");
        err.flush();
        return settings;
    }
}
