package io.meshcap.istio;

import io.meshcap.MeshcapException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** A live network namespace to read, and how to run a command inside it (argv, never a shell string). */
public sealed interface NamespaceTarget {

    /** The tool that enters the namespace, so a missing one can be reported with its package. */
    String launcher();

    /** The argv that runs {@code command} inside the namespace. */
    List<String> argv(List<String> command);

    /** How to name the target in messages. */
    String describe();

    /** A namespace created with {@code ip netns add NAME} (a file under /run/netns). */
    record Named(String name) implements NamespaceTarget {

        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
        static final Path NETNS_DIR = Path.of("/run/netns");

        public Named {
            if (!NAME.matcher(name).matches() || name.startsWith(".")) {
                throw MeshcapException.usage("'" + name + "' is not a network namespace name: use the name"
                        + " 'ip netns list' shows");
            }
        }

        @Override
        public String launcher() {
            return "ip";
        }

        @Override
        public List<String> argv(List<String> command) {
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name));
            argv.addAll(command);
            return argv;
        }

        @Override
        public String describe() {
            return "network namespace " + name;
        }

        /** Fails with the fix when the namespace does not exist. */
        public void requireExists() {
            if (!Files.exists(NETNS_DIR.resolve(name))) {
                throw MeshcapException.usage("no network namespace '" + name + "' (ip netns list shows those that"
                        + " exist; for a pod's namespace use --pid with a process of the pod)");
            }
        }
    }

    /** The network namespace of a running process, entered with nsenter. */
    record Process(long pid) implements NamespaceTarget {

        public Process {
            if (pid <= 0) {
                throw MeshcapException.usage("--pid must be a positive process id, got " + pid);
            }
        }

        @Override
        public String launcher() {
            return "nsenter";
        }

        @Override
        public List<String> argv(List<String> command) {
            List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + netnsPath()));
            argv.addAll(command);
            return argv;
        }

        @Override
        public String describe() {
            return "network namespace of process " + pid;
        }

        /** Fails with the fix when the process is gone or not visible. */
        public void requireExists() {
            if (!Files.exists(Path.of(netnsPath()))) {
                throw MeshcapException.usage("no process " + pid + " (or its namespace is not visible: run as root on"
                        + " the node that runs the pod, e.g. pgrep envoy)");
            }
        }

        private String netnsPath() {
            return "/proc/" + pid + "/ns/net";
        }
    }
}
