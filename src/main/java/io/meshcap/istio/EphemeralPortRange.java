package io.meshcap.istio;

/**
 * The kernel's source-port range for outgoing connections ({@code net.ipv4.ip_local_port_range}), per network
 * namespace. Pods may change it (it is a "safe" sysctl), so a capture leg that selects ephemeral ports reads it.
 */
public record EphemeralPortRange(int low, int high) {

    /** The kernel default, assumed when the namespace cannot be read. */
    public static final EphemeralPortRange KERNEL_DEFAULT = new EphemeralPortRange(32768, 60999);

    public EphemeralPortRange {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("not a port range: " + low + "-" + high);
        }
    }

    /** Parses the content of {@code /proc/sys/net/ipv4/ip_local_port_range} ("32768\t60999"). */
    public static EphemeralPortRange parseProcFile(String content) {
        String[] fields = content.trim().split("\\s+");
        if (fields.length != 2) {
            throw new IllegalArgumentException("expected two numbers, got: " + content.trim());
        }
        return new EphemeralPortRange(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]));
    }

    public boolean contains(int port) {
        return port >= low && port <= high;
    }

    @Override
    public String toString() {
        return low + "-" + high;
    }
}
