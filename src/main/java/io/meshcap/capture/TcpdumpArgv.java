package io.meshcap.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * The tcpdump command line for a leg, as an argv list: the same list runs under nsenter on this machine
 * and through the Kubernetes API in a pod, and never passes through a shell.
 */
public final class TcpdumpArgv {

    /** What tcpdump prints on stderr once its filter is set, just before it reads its first packet. */
    public static final String LISTENING = "listening on";

    private TcpdumpArgv() {
    }

    /**
     * {@code tcpdump --immediate-mode -U -n -B KIB -w - -i IF -s SNAP [-c N] FILTER}: packet-buffered pcap on
     * stdout, so the stream can be spooled as it arrives.
     *
     * <p>Without immediate mode libpcap hands packets over a ring block at a time (up to a second late), and
     * a tcpdump stopped by a signal exits without the packets still in the current block: the last moments of
     * every capture, often the ones that matter, would be lost. The kernel buffer ({@code -B}) is four times
     * libpcap's default, so a burst on a busy pod waits for the reader instead of being dropped.
     */
    public static List<String> of(LegPlan leg) {
        List<String> argv = new ArrayList<>(List.of(
                "tcpdump", "--immediate-mode", "-U", "-n", "-B", Integer.toString(CaptureLimits.KERNEL_BUFFER_KIB), "-w", "-",
                "-i", leg.interfaceName(),
                "-s", Integer.toString(leg.limits().effectiveSnapLength())));
        if (leg.limits().packetCount() > 0) {
            argv.add("-c");
            argv.add(Long.toString(leg.limits().packetCount()));
        }
        // The filter is one argument; tcpdump joins everything after the options into the expression.
        argv.add(leg.filter());
        return List.copyOf(argv);
    }

    /**
     * {@link #of} with {@code -Z root}, for a tcpdump that must die with meshcap through the parent-death signal:
     * Debian's tcpdump otherwise switches to its own user once the interface is open, and the kernel clears the
     * parent-death signal of a process that changes its user. It writes raw packets ({@code -w}) and decodes
     * none, so staying root exposes nothing a packet could exploit.
     */
    public static List<String> keepingRoot(LegPlan leg) {
        List<String> argv = new ArrayList<>(of(leg));
        argv.addAll(1, List.of("-Z", "root"));
        return List.copyOf(argv);
    }
}
