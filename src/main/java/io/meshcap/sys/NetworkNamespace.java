package io.meshcap.sys;

import io.meshcap.MeshcapException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A network namespace on this machine, named by {@code ip netns} or by a process inside it. Commands run
 * inside it through {@code nsenter --net=FILE}, which works the same for both.
 *
 * @param file  the namespace file: {@code /run/netns/NAME} or {@code /proc/PID/ns/net}
 * @param label how the user named it, for messages and leg labels
 */
public record NetworkNamespace(Path file, String label) {

    /** The tool {@link #enter} uses, so a missing one can be reported with its package. */
    public static final String LAUNCHER = "nsenter";
    private static final Path NAMED = Path.of("/run/netns");
    private static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    private static final String PROCESS_PREFIX = "pid-";

    /** The namespace {@code ip netns add NAME} created. */
    public static NetworkNamespace named(String name) {
        if (!name.matches(NAME_PATTERN)) {
            throw MeshcapException.usage("'" + name + "' is not a network namespace name: use the name 'ip netns list'"
                    + " shows (letters, digits, '.', '_', '-')");
        }
        Path file = NAMED.resolve(name);
        if (!Files.exists(file)) {
            throw MeshcapException.usage("no network namespace '" + name + "' (ip netns list shows those that exist;"
                    + " for a pod's namespace use --pid with a process of the pod)");
        }
        return new NetworkNamespace(file, name);
    }

    /** The network namespace process {@code pid} lives in. */
    public static NetworkNamespace ofProcess(long pid) {
        if (pid <= 0) {
            throw MeshcapException.usage("--pid must be a positive process id, got " + pid);
        }
        Path file = Path.of("/proc", Long.toString(pid), "ns", "net");
        if (!Files.exists(file)) {
            throw MeshcapException.usage("--pid " + pid + ": no such process (or its namespace is not visible: run as"
                    + " root on the node that runs the pod, e.g. pgrep envoy)");
        }
        if (!Files.isReadable(file)) {
            throw MeshcapException.usage("--pid " + pid + ": cannot open its network namespace; run meshcap as root");
        }
        return new NetworkNamespace(file, PROCESS_PREFIX + pid);
    }

    /** The argv that runs {@code command} inside this namespace. */
    public List<String> enter(List<String> command) {
        return Stream.concat(Stream.of(LAUNCHER, "--net=" + file, "--"), command.stream()).toList();
    }

    /** How to name the namespace in sentences: "network namespace lab", "network namespace of process 42". */
    public String describe() {
        return file.startsWith(NAMED)
                ? "network namespace " + label
                : "network namespace of process " + label.substring(PROCESS_PREFIX.length());
    }
}
