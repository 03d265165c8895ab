package io.meshcap.capture.k8s;

import java.util.ArrayList;
import java.util.List;

/**
 * The commands meshcap must send into a pod, written out by hand: what the tests expect, independent of the
 * code that builds them ({@link CaptureArgv}). A change to any of them is a change of what runs in users' pods,
 * and shows up here.
 */
final class ExpectedArgv {

    /** The wrapper that announces tcpdump's PID on stderr, then execs it. */
    private static final List<String> ANNOUNCE_PID = List.of("sh", "-c", "echo \"meshcap-pid $$\" >&2; exec \"$@\"",
            "meshcap");

    private ExpectedArgv() {
    }

    /** A whole-packet, packet-buffered pcap on stdout of interface {@code iface}, 8 MiB kernel buffer. */
    static List<String> capture(String iface, String filter) {
        List<String> argv = new ArrayList<>(ANNOUNCE_PID);
        argv.addAll(List.of("tcpdump", "--immediate-mode", "-U", "-n", "-B", "8192", "-w", "-", "-i", iface,
                "-s", "262144", filter));
        return argv;
    }

    /** {@link #capture} behind {@code nsenter} into the network namespace of process {@code pid} (node pods). */
    static List<String> nsenterCapture(long pid, String iface, String filter) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "-n", "-t", Long.toString(pid), "--"));
        argv.addAll(capture(iface, filter));
        return argv;
    }

    /** Ends a helper container's idle process (whose PID it wrote to a file), which stops the container. */
    static List<String> release() {
        return List.of("sh", "-c", "kill \"$(cat /tmp/meshcap-helper.pid)\"", "meshcap");
    }

    /** SIGINT to tcpdump: it flushes, prints its counts and exits 0. */
    static List<String> stop(long pid) {
        return List.of("kill", "-INT", Long.toString(pid));
    }
}
