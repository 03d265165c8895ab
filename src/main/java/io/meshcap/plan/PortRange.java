package io.meshcap.plan;

import io.meshcap.MeshcapException;

/**
 * An inclusive range of TCP/UDP ports, as in {@code ip_local_port_range} or BPF's {@code portrange}.
 *
 * @param low  first port
 * @param high last port
 */
public record PortRange(int low, int high) {

    /** Linux's default {@code net.ipv4.ip_local_port_range}; a pod may change it (it is a "safe" sysctl). */
    public static final PortRange LINUX_DEFAULT_EPHEMERAL = new PortRange(32768, 60999);

    static final int MAX_PORT = 65535;

    public PortRange {
        if (low < 1 || high > MAX_PORT || low > high) {
            throw MeshcapException.usage("port range " + low + "-" + high + " is not within 1-65535 with low <= high");
        }
    }

    /**
     * Parses {@code LO-HI}; also accepts the whitespace-separated form of
     * {@code /proc/sys/net/ipv4/ip_local_port_range}.
     */
    public static PortRange parse(String text) {
        String[] parts = text.strip().split("\\s*-\\s*|\\s+");
        if (parts.length != 2 || !parts[0].matches("\\d{1,5}") || !parts[1].matches("\\d{1,5}")) {
            throw MeshcapException.usage("'" + text + "' is not a port range; write it as LOW-HIGH, e.g. 32768-60999");
        }
        return new PortRange(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    /** Checks one port a flag gives; the message names the port, not a range of one. */
    public static int port(int port, String option) {
        if (port < 1 || port > MAX_PORT) {
            throw MeshcapException.usage(option + ": port " + port + " is not within 1-" + MAX_PORT);
        }
        return port;
    }

    public boolean contains(int port) {
        return port >= low && port <= high;
    }

    /** {@code LOW-HIGH}, the form BPF's {@code portrange} takes. */
    @Override
    public String toString() {
        return low + "-" + high;
    }
}
