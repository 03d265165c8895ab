package io.meshcap.cli;

import io.meshcap.sys.NetworkNamespace;
import picocli.CommandLine.Option;

/** --netns NAME | --pid PID: which live network namespace to read (an exclusive group in each command). */
final class NamespaceOptions {

    @Option(names = "--netns", paramLabel = "NAME", description = "A namespace created with 'ip netns add' (see 'ip netns list').")
    String netns;

    @Option(names = "--pid", paramLabel = "PID", description = "Any process of the pod, e.g. its envoy (pgrep envoy); needs root.")
    Long pid;

    /** The target, checked to exist, so a typo fails before any tool runs. */
    NetworkNamespace target() {
        return netns != null ? NetworkNamespace.named(netns) : NetworkNamespace.ofProcess(pid);
    }
}
