package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Connects to a cluster the way kubectl does: {@code --kubeconfig} if given, else {@code $KUBECONFIG}
 * (a path list), else {@code ~/.kube/config}, else the in-cluster service account; {@code --context}
 * picks a context of the kubeconfig. Credentials stay inside the client: nothing here prints them.
 */
public final class KubernetesClients {

    private static final String DEFAULT_NAMESPACE = "default";
    private static final int REQUEST_RETRIES = 3;

    private KubernetesClients() {
    }

    /**
     * A client for the given context and kubeconfig (both optional).
     *
     * @throws MeshcapException if the kubeconfig cannot be read or the context does not exist
     */
    public static KubernetesClient connect(Optional<String> context, Optional<Path> kubeconfig) {
        return new KubernetesClientBuilder().withConfig(config(context, kubeconfig)).build();
    }

    /** The configuration {@link #connect} uses; the namespace in it is the context's (kubectl's default). */
    public static Config config(Optional<String> context, Optional<Path> kubeconfig) {
        try {
            Config config;
            if (kubeconfig.isPresent()) {
                Path file = kubeconfig.get();
                if (!Files.isReadable(file)) {
                    throw MeshcapException.usage("--kubeconfig: cannot read " + file);
                }
                config = Config.fromKubeconfig(context.orElse(null), file.toFile());
            } else {
                config = Config.autoConfigure(context.orElse(null));
            }
            // fabric8 falls back to the current context when the named one does not exist; kubectl refuses.
            if (context.isPresent() && !context.get().equals(currentContextName(config))) {
                throw MeshcapException.usage("--context: no context named '" + context.get()
                        + "' in the kubeconfig; list them with: kubectl config get-contexts");
            }
            // fabric8 retries unanswered requests ten times with exponential back-off (about 20 s against a
            // server that is down); a CLI should say so within a second or two.
            return new ConfigBuilder(config).withRequestRetryBackoffLimit(REQUEST_RETRIES).build();
        } catch (KubernetesClientException e) {
            throw MeshcapException.usage("cannot load the Kubernetes configuration: " + e.getMessage()
                    + "; check --kubeconfig, --context and KUBECONFIG");
        }
    }

    /** The pod as the API has it now, or null when it does not exist; a refused read is explained. */
    static Pod readPod(KubernetesClient client, PodRef ref) {
        try {
            return client.pods().inNamespace(ref.namespace()).withName(ref.name()).get();
        } catch (KubernetesClientException e) {
            throw ApiFailures.explain(e, "read pod " + ref, "");
        }
    }

    /** The namespace to use when none is given: the context's, else "default". */
    public static String defaultNamespace(KubernetesClient client) {
        return Optional.ofNullable(client.getConfiguration().getNamespace()).orElse(DEFAULT_NAMESPACE);
    }

    private static String currentContextName(Config config) {
        return config.getCurrentContext() == null ? null : config.getCurrentContext().getName();
    }
}
