package io.meshcap.sys;

import io.meshcap.MeshcapException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A network namespace on this machine, named by {@code ip netns} or by a process inside it. Commands run
 * inside it through {@code nsenter --net=FILE}, which works the same for both.
 *
 * @param file  the namespace file: {@code /run/netns/NAME} or {@code /proc/PID/ns/net}
 * @param label how the user named it, for messages and leg labels
 */
public record NetworkNamespace(Path file, String label) {

    private static final Path NAMED = Path.of("/run/netns");
    private static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";

    /** The namespace {@code ip netns add NAME} created. */
    public static NetworkNamespace named(String name) {
        if (!name.matches(NAME_PATTERN)) {
            throw MeshcapException.usage("--netns '" + name + "' is not a namespace name (letters, digits, '.', '_', '-')");
        }
        Path file = NAMED.resolve(name);
        if (!Files.exists(file)) {
            throw MeshcapException.usage("no network namespace '" + name + "' (see: ip netns list)");
        }
        return new NetworkNamespace(file, name);
    }

    /** The network namespace process {@code pid} lives in. */
    public static NetworkNamespace ofProcess(long pid) {
        Path file = Path.of("/proc", Long.toString(pid), "ns", "net");
        if (pid <= 0 || !Files.exists(file)) {
            throw MeshcapException.usage("--pid " + pid + ": no such process");
        }
        if (!Files.isReadable(file)) {
            throw MeshcapException.usage("--pid " + pid + ": cannot open its network namespace; run meshcap as root");
        }
        return new NetworkNamespace(file, "pid-" + pid);
    }

    /** The argv prefix that runs a command inside this namespace. */
    public List<String> enter(List<String> command) {
        return java.util.stream.Stream.concat(
                        java.util.stream.Stream.of("nsenter", "--net=" + file, "--"), command.stream())
                .toList();
    }
}
