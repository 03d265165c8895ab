package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/** Sets up capture sources for many pods at once (--selector), at most {@code parallelism} at a time. */
public final class PodSources {

    private PodSources() {
    }

    /**
     * Opens a source per pod, in the pods' order. All or nothing: if any pod fails, the sources already
     * opened are closed and the first failure is raised, naming its pod. A --container that some pod does not
     * have, and --decrypt for a pod without a sidecar to log keys, are refused before anything is created in any pod.
     */
    public static List<KubernetesCaptureSource> openAll(ClusterRun run, List<PodInfo> pods,
            Optional<String> container, int parallelism) {
        if (parallelism < 1) {
            throw MeshcapException.usage("--max-parallel must be at least 1");
        }
        pods.forEach(pod -> pod.container(container));
        if (run.settings().decryption().isPresent()) {
            pods.forEach(EnvoyKeyLog::requireSidecar);
        }
        return eachPod(pods, pod -> pod, pod -> KubernetesCaptureSource.open(run, pod, container), parallelism,
                KubernetesCaptureSource::close);
    }

    /**
     * With --decrypt: makes every pod's sidecar log its TLS keys, at most {@code parallelism} pods at a time (each
     * may wait for Istio to push its patch), and returns once every pod has said what came of it.
     *
     * @throws MeshcapException the first failure (a stop request), once every pod has ended its attempt
     */
    public static void startKeyLogging(List<KubernetesCaptureSource> sources, int parallelism) {
        eachPod(sources, KubernetesCaptureSource::pod, KubernetesCaptureSource::startKeyLogging, parallelism,
                since -> { });
    }

    /**
     * Runs {@code task} for every item, at most {@code parallelism} at once, and returns the results in the items'
     * order. If any fails, the results of the others are given to {@code undo} and the first failure is raised,
     * naming its pod.
     */
    private static <T, R> List<R> eachPod(List<T> items, Function<T, PodInfo> pod, Function<T, R> task,
            int parallelism, Consumer<R> undo) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, Math.max(1, items.size())));
        List<Future<R>> pending = new ArrayList<>();
        for (T item : items) {
            pending.add(pool.submit(() -> task.apply(item)));
        }
        pool.shutdown();
        List<R> done = new ArrayList<>();
        RuntimeException failure = null;
        for (int i = 0; i < pending.size(); i++) {
            try {
                done.add(pending.get(i).get());
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = asFailure(pod.apply(items.get(i)), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = MeshcapException.failure("interrupted while setting up captures", e);
                break;
            }
        }
        if (failure != null) {
            done.forEach(undo);
            throw failure;
        }
        return done;
    }

    private static RuntimeException asFailure(PodInfo pod, Throwable cause) {
        if (cause instanceof MeshcapException known) {
            // Most messages already name the pod; the others get it in front.
            return known.kind() == MeshcapException.Kind.USAGE || known.getMessage().contains(pod.ref().toString())
                    ? known : MeshcapException.failure("pod " + pod.ref() + ": " + known.getMessage(), known);
        }
        return MeshcapException.failure("pod " + pod.ref() + ": " + cause, cause);
    }
}
