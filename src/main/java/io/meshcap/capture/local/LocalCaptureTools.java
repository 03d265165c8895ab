package io.meshcap.capture.local;

import io.meshcap.sys.Host;
import io.meshcap.sys.NetworkNamespace;
import java.util.ArrayList;
import java.util.List;

/**
 * What a capture on this machine runs, checked before it reads or starts anything: a released meshcap installs
 * nothing itself, so a missing tool is one message with the command that installs it.
 */
public final class LocalCaptureTools {

    /** Entering the network namespace and reading its address and sockets ({@link LocalDiscovery}). */
    private static final List<String> DISCOVERY = List.of(NetworkNamespace.LAUNCHER, "ip", "ss");
    /** What the default engine runs for each leg. */
    private static final String TCPDUMP = "tcpdump";

    private LocalCaptureTools() {
    }

    /** The tools a local capture runs: discovery's, and tcpdump when that engine captures. */
    public static List<String> needed(boolean tcpdump) {
        List<String> tools = new ArrayList<>(DISCOVERY);
        if (tcpdump) {
            tools.add(TCPDUMP);
        }
        return List.copyOf(tools);
    }

    /** Fails unless this process is root and has the tools; {@code need} names the job in the message. */
    public static void require(String need, boolean tcpdump) {
        Host.requireRoot(need + " needs root (it enters the network namespace)");
        Host.requireTools(need, needed(tcpdump));
    }
}
