package io.meshcap.capture.k8s;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a strategy runs commands: a container of a pod, and the argv prefix that puts a command into the
 * target's network namespace (empty when the container already shares it).
 *
 * @param namespace the pod's namespace
 * @param pod       the pod that runs the command (the target, or meshcap's node pod)
 * @param container the container that runs it
 * @param prefix    prepended to every command, e.g. {@code nsenter -n -t PID --}
 */
public record ExecTarget(String namespace, String pod, String container, List<String> prefix) {

    public ExecTarget {
        prefix = List.copyOf(prefix);
    }

    /** The argv to send for {@code command}. */
    public List<String> argv(List<String> command) {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(command);
        return List.copyOf(argv);
    }

    /** {@code ns/pod (container)}, for messages. */
    public String describe() {
        return namespace + "/" + pod + " (container " + container + ")";
    }
}
