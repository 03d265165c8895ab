package io.meshcap.cli;

import io.meshcap.istio.NamespaceTarget;
import picocli.CommandLine.Option;

/** --netns NAME | --pid PID: which live network namespace to read (an exclusive group in each command). */
final class NamespaceOptions {

    @Option(names = "--netns", paramLabel = "NAME", description = "A namespace created with 'ip netns add' (see 'ip netns list').")
    String netns;

    @Option(names = "--pid", paramLabel = "PID", description = "Any process of the pod, e.g. its envoy (pgrep envoy); needs root.")
    Long pid;

    /** The target, checked to exist, so a typo fails before any tool runs. */
    NamespaceTarget target() {
        if (netns != null) {
            NamespaceTarget.Named named = new NamespaceTarget.Named(netns);
            named.requireExists();
            return named;
        }
        NamespaceTarget.Process process = new NamespaceTarget.Process(pid);
        process.requireExists();
        return process;
    }
}
