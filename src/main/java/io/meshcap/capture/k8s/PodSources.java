package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Sets up capture sources for many pods at once (--selector), at most {@code parallelism} at a time. */
public final class PodSources {

    private PodSources() {
    }

    /**
     * Opens a source per pod, in the pods' order. All or nothing: if any pod fails, the sources already
     * opened are closed and the first failure is raised, naming its pod. A --container that some pod does not
     * have is refused before anything is created in any pod.
     */
    public static List<KubernetesCaptureSource> openAll(ClusterRun run, List<PodInfo> pods,
            Optional<String> container, int parallelism) {
        if (parallelism < 1) {
            throw MeshcapException.usage("--max-parallel must be at least 1");
        }
        pods.forEach(pod -> pod.container(container));
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, Math.max(1, pods.size())));
        List<Future<KubernetesCaptureSource>> pending = new ArrayList<>();
        for (PodInfo pod : pods) {
            pending.add(pool.submit(() -> KubernetesCaptureSource.open(run, pod, container)));
        }
        pool.shutdown();
        List<KubernetesCaptureSource> opened = new ArrayList<>();
        RuntimeException failure = null;
        for (int i = 0; i < pending.size(); i++) {
            try {
                opened.add(pending.get(i).get());
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = asFailure(pods.get(i), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = MeshcapException.failure("interrupted while setting up captures", e);
                break;
            }
        }
        if (failure != null) {
            opened.forEach(KubernetesCaptureSource::close);
            throw failure;
        }
        return opened;
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
