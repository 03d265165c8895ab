package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.capture.StopSignal;
import java.util.function.Consumer;

/**
 * One meshcap command's work in a cluster: the client (which must outlive every clean-up, so the caller closes
 * it only after the sources), the launch settings, where notes go, the stop signal that set-up gives up on, what
 * the run has created so far, and the permission answers. Shared by every pod of a {@code --selector}.
 */
public final class ClusterRun {

    private final KubernetesClient client;
    private final LaunchSettings settings;
    private final Consumer<String> notes;
    private final StopSignal stop;
    private final ClusterFootprint footprint = new ClusterFootprint();
    private final AccessReview access;

    /**
     * @param notes receives notes and warnings as {@code note: ...} / {@code warning: ...}; the caller adds its
     *              own prefix
     */
    public ClusterRun(KubernetesClient client, LaunchSettings settings, Consumer<String> notes, StopSignal stop) {
        this.client = client;
        this.settings = settings;
        this.notes = notes;
        this.stop = stop;
        this.access = new AccessReview(client, notes);
        stop.explainWith(this::whatStoppingDoes, () -> String.join(", ", footprint.objects()),
                () -> footprint.isEmpty() ? "" : footprint.cleanupCommand(settings.runId()));
    }

    public KubernetesClient client() {
        return client;
    }

    public LaunchSettings settings() {
        return settings;
    }

    public StopSignal stop() {
        return stop;
    }

    public ClusterFootprint footprint() {
        return footprint;
    }

    Consumer<String> notes() {
        return notes;
    }

    AccessReview access() {
        return access;
    }

    private String whatStoppingDoes() {
        return footprint.isEmpty() ? "meshcap ends (it has created nothing in the cluster)"
                : "meshcap ends its legs and removes " + String.join(", ", footprint.objects());
    }
}
