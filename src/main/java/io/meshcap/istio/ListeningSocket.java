package io.meshcap.istio;

import java.util.List;

/**
 * One line of {@code ss -Htlnupe}: a listening TCP socket or a bound UDP socket, and the processes that hold it
 * (none when the owner lives outside the namespace's pid view, as ztunnel does in ambient mode).
 *
 * @param uid the socket's owner uid; ss prints none for root, so 0 also stands for "not printed"
 */
public record ListeningSocket(String protocol, String address, int port, List<Owner> owners, long uid) {

    private static final String TCP = "tcp";

    /** A process holding the socket. */
    public record Owner(String process, long pid) {
    }

    public ListeningSocket {
        owners = List.copyOf(owners);
    }

    /** A socket as {@code ss} without {@code -e} prints it, with no uid. */
    public ListeningSocket(String protocol, String address, int port, List<Owner> owners) {
        this(protocol, address, port, owners, 0);
    }

    public boolean tcp() {
        return protocol.equals(TCP);
    }

    /** Bound to a loopback address, so nothing from outside the pod reaches it (e.g. the proxy's admin port). */
    public boolean loopbackOnly() {
        String host = address.replaceAll("%.*", "");
        return host.startsWith("127.") || host.equals("::1");
    }

    /** The name of the first owning process, or null when none is visible. */
    public String processName() {
        return owners.isEmpty() ? null : owners.get(0).process();
    }
}
