package io.meshcap.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.capture.k8s.KubeNames;
import io.meshcap.capture.k8s.KubernetesClients;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Which cluster and namespace, as kubectl takes them: shared by every command that talks to the API.
 * Without flags: $KUBECONFIG, else ~/.kube/config, else the in-cluster service account; its current
 * context; that context's namespace, else "default".
 */
final class ClusterOptions {

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "The namespace (default: the context's namespace, else default).")
    String namespace;

    @Option(names = "--context", paramLabel = "NAME", description = "The kubeconfig context to use (default: the current one).")
    String context;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster).")
    Path kubeconfig;

    /** A client for the chosen cluster; the caller closes it. */
    KubernetesClient connect() {
        return KubernetesClients.connect(Optional.ofNullable(context), Optional.ofNullable(kubeconfig));
    }

    /** The namespace flag if given (validated), else the context's. */
    String namespace(KubernetesClient client) {
        return namespace != null ? KubeNames.namespace(namespace, "--namespace") : KubernetesClients.defaultNamespace(client);
    }

    /** The namespace flag, validated, if given. */
    Optional<String> explicitNamespace() {
        return Optional.ofNullable(namespace).map(ns -> KubeNames.namespace(ns, "--namespace"));
    }
}
