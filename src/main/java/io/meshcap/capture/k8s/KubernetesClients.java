package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Connects to a cluster the way kubectl does: {@code --kubeconfig} if given, else {@code $KUBECONFIG}
 * (a path list), else {@code ~/.kube/config}, else the in-cluster service account; {@code --context}
 * picks a context of the kubeconfig. Credentials stay inside the client: nothing here prints them.
 */
public final class KubernetesClients {

    private static final String DEFAULT_NAMESPACE = "default";
    private static final String KUBECONFIG_VARIABLE = "KUBECONFIG";
    private static final String DEFAULT_KUBECONFIG = ".kube/config";
    /** Set in every container Kubernetes starts; fabric8 reads the service account when it is there. */
    private static final String IN_CLUSTER_VARIABLE = "KUBERNETES_SERVICE_HOST";
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
        String source = source(kubeconfig, System.getenv(), Path.of(System.getProperty("user.home")));
        try {
            Config config = kubeconfig.isPresent()
                    ? Config.fromKubeconfig(context.orElse(null), kubeconfig.get().toFile())
                    : Config.autoConfigure(context.orElse(null));
            // fabric8 falls back to the current context when the named one does not exist; kubectl refuses.
            if (context.isPresent() && !context.get().equals(currentContextName(config))) {
                throw MeshcapException.usage("--context: no context named '" + context.get()
                        + "' in the kubeconfig; list them with: kubectl config get-contexts");
            }
            // fabric8 retries unanswered requests ten times with exponential back-off (about 20 s against a
            // server that is down); a CLI should say so within a second or two.
            return new ConfigBuilder(config).withRequestRetryBackoffLimit(REQUEST_RETRIES).build();
        } catch (MeshcapException e) {
            throw e;
        } catch (RuntimeException e) {
            // Parser messages quote the offending lines, which may hold a token or a key: never shown.
            throw MeshcapException.usage("cannot load the Kubernetes configuration from " + source
                    + ": it is not a valid kubeconfig (kubectl config view shows what is wrong)");
        }
    }

    /**
     * Where the configuration will come from, as kubectl looks for it, for messages; a usage error when there is
     * nowhere to look, rather than a connection attempt to nowhere.
     */
    static String source(Optional<Path> kubeconfig, Map<String, String> env, Path home) {
        if (kubeconfig.isPresent()) {
            if (!Files.isReadable(kubeconfig.get())) {
                throw MeshcapException.usage("--kubeconfig: cannot read " + kubeconfig.get());
            }
            return kubeconfig.get().toString();
        }
        String paths = env.getOrDefault(KUBECONFIG_VARIABLE, "");
        if (!paths.isBlank()) {
            List<String> readable = Arrays.stream(paths.split(File.pathSeparator))
                    .filter(path -> !path.isBlank() && Files.isReadable(Path.of(path))).toList();
            if (readable.isEmpty()) {
                throw MeshcapException.usage("KUBECONFIG names " + paths + ", but no such file can be read;"
                        + " fix KUBECONFIG or give --kubeconfig FILE");
            }
            return String.join(File.pathSeparator, readable);
        }
        Path standard = home.resolve(DEFAULT_KUBECONFIG);
        if (Files.isReadable(standard)) {
            return standard.toString();
        }
        if (env.containsKey(IN_CLUSTER_VARIABLE)) {
            return "the in-cluster service account";
        }
        throw MeshcapException.usage("no Kubernetes configuration: give --kubeconfig FILE, set KUBECONFIG, create "
                + standard + " (kubectl does the same), or run meshcap inside a cluster");
    }

    /** The pod as the API has it now, or null when it does not exist; a refused read is explained. */
    static Pod readPod(KubernetesClient client, PodRef ref) {
        try {
            return client.pods().inNamespace(ref.namespace()).withName(ref.name()).get();
        } catch (KubernetesClientException e) {
            throw ApiFailures.explain(client, e, "read pod " + ref, "");
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
