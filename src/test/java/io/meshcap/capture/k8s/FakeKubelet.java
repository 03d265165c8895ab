package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays the kubelet for whole command-line runs, whose helpers have generated names (a random run ID, a name the
 * API server generates): it reads the mock server's request log as requests arrive and, when meshcap adds an
 * ephemeral container or creates a node pod, scripts that helper's execs (now that its name is known) and then
 * reports its container running, as a kubelet would. Everything it read is kept as the run's request log, for
 * the test to check what meshcap created and removed.
 */
final class FakeKubelet implements AutoCloseable {

    /** What meshcap prints before it creates anything; the run ID names its ephemeral container. */
    private static final Pattern RUN = Pattern.compile("meshcap: run ([a-z0-9]+) ");
    private static final long POLL_MS = 10;

    private final MockCluster cluster;
    private final StringWriter err;
    private final BiConsumer<String, String> scriptHelper;
    private final Predicate<String> startsHelpersIn;
    private final List<RecordedRequest> log = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile String ephemeralContainer;
    private volatile String nodePod;
    private volatile Pod nodePodAsCreated;

    /**
     * @param err             meshcap's stderr as it is written, where it names its run
     * @param scriptHelper    scripts the execs of a new helper: (pod, container) to exec in
     * @param startsHelpersIn whether a helper added to this pod is reported running (false: it never starts)
     */
    FakeKubelet(MockCluster cluster, StringWriter err, BiConsumer<String, String> scriptHelper,
            Predicate<String> startsHelpersIn) throws InterruptedException {
        this.cluster = cluster;
        this.err = err;
        // What the test itself sent to set the cluster up is not meshcap's.
        cluster.requests();
        this.scriptHelper = scriptHelper;
        this.startsHelpersIn = startsHelpersIn;
        this.thread = new Thread(this::run, "fake-kubelet");
        thread.setDaemon(true);
        thread.start();
    }

    FakeKubelet(MockCluster cluster, StringWriter err, BiConsumer<String, String> scriptHelper)
            throws InterruptedException {
        this(cluster, err, scriptHelper, pod -> true);
    }

    private void run() {
        List<String> pendingEphemeral = new ArrayList<>();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                RecordedRequest request = cluster.server.takeRequest(POLL_MS, TimeUnit.MILLISECONDS);
                if (request == null) {
                    startPending(pendingEphemeral);
                    continue;
                }
                log.add(request);
                String path = request.getPath();
                if (request.getMethod().equals("PATCH") && path.endsWith("/ephemeralcontainers")) {
                    Matcher run = RUN.matcher(err.toString());
                    if (!run.find()) {
                        throw new AssertionError("meshcap added an ephemeral container before it named its run");
                    }
                    ephemeralContainer = MeshcapObjects.NAME_PREFIX + run.group(1);
                    String pod = path.split("/")[6];
                    scriptHelper.accept(pod, ephemeralContainer);
                    addEphemeralContainer(pod);
                    pendingEphemeral.add(pod);
                } else if (request.getMethod().equals("POST") && path.equals("/api/v1/namespaces/" + MockCluster.NAMESPACE + "/pods")) {
                    startNodePod();
                }
                startPending(pendingEphemeral);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Puts the ephemeral container meshcap added into the stored pod's spec (the patch itself was answered by an
     * expectation), where fabric8 looks a container up before it execs in it.
     */
    private void addEphemeralContainer(String pod) {
        var pods = cluster.client.pods().inNamespace(MockCluster.NAMESPACE);
        Pod current = pods.withName(pod).get();
        current.getSpec().getEphemeralContainers().add(EphemeralContainerSpec.build(ephemeralContainer,
                LaunchSettings.DEFAULT_IMAGE, "istio-proxy", LaunchSettings.DEFAULT_LIFETIME));
        pods.resource(current).update();
    }

    /** Reports each added ephemeral container running once its pod may start helpers. */
    private void startPending(List<String> pending) {
        for (String pod : List.copyOf(pending)) {
            if (startsHelpersIn.test(pod)) {
                pending.remove(pod);
                var pods = cluster.client.pods().inNamespace(MockCluster.NAMESPACE);
                Pod current = pods.withName(pod).get();
                List<ContainerStatus> statuses = new ArrayList<>(current.getStatus().getEphemeralContainerStatuses());
                statuses.add(MockCluster.running(ephemeralContainer, "containerd://ee" + MockCluster.PROXY_ID.substring(2)));
                current.getStatus().setEphemeralContainerStatuses(statuses);
                pods.resource(current).updateStatus();
            }
        }
    }

    /** The server logs a request before it stores what the request created: looks until the pod is there. */
    private void startNodePod() throws InterruptedException {
        Pod pod = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pod == null && System.nanoTime() < deadline) {
            pod = cluster.client.pods().inNamespace(MockCluster.NAMESPACE).withLabel(MeshcapObjects.MANAGED_BY_LABEL)
                    .list().getItems().stream().filter(p -> p.getStatus() == null || p.getStatus().getPhase() == null)
                    .findFirst().orElse(null);
            Thread.sleep(POLL_MS);
        }
        if (pod == null) {
            return;
        }
        nodePod = pod.getMetadata().getName();
        nodePodAsCreated = pod;
        scriptHelper.accept(nodePod, NodePodSpec.CONTAINER);
        pod.setStatus(new PodStatusBuilder().withPhase("Running")
                .addToContainerStatuses(MockCluster.running(NodePodSpec.CONTAINER, "containerd://ff"))
                .build());
        cluster.client.pods().inNamespace(MockCluster.NAMESPACE).resource(pod).updateStatus();
    }

    /** The name of the ephemeral container meshcap added (the last one), or null. */
    String ephemeralContainer() {
        return ephemeralContainer;
    }

    /** The name the API server gave meshcap's node pod, or null. */
    String nodePod() {
        return nodePod;
    }

    /** meshcap's node pod as it was created, or null. */
    Pod nodePodAsCreated() {
        return nodePodAsCreated;
    }

    /** Every request the server received so far, in order (the kubelet's own reads and status updates too). */
    List<RecordedRequest> log() {
        return List.copyOf(log);
    }

    /** The argv of every exec meshcap ran, in order, as {@code pod/container: argv}. */
    List<String> execs() {
        return log().stream().filter(MockCluster::isExec).map(FakeKubelet::describeExec).toList();
    }

    static String describeExec(RecordedRequest request) {
        String path = request.getPath();
        String pod = path.split("/")[6];
        String container = path.replaceAll(".*[?&]container=([^&]*).*", "$1");
        return pod + "/" + container + ": " + MockCluster.commandOf(request);
    }

    @Override
    public void close() throws InterruptedException {
        // Requests still queued belong to the log too.
        thread.interrupt();
        thread.join(TimeUnit.SECONDS.toMillis(5));
        RecordedRequest rest;
        while ((rest = cluster.server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
            log.add(rest);
        }
    }
}
