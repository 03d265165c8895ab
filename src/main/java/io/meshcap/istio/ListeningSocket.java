package io.meshcap.istio;

import java.util.List;

/**
 * One line of {@code ss -Htlnup}: a listening TCP socket or a bound UDP socket, and the processes that hold it
 * (none when the owner lives outside the namespace's pid view, as ztunnel does in ambient mode).
 */
public record ListeningSocket(String protocol, String address, int port, List<Owner> owners) {

    /** A process holding the socket. */
    public record Owner(String process, long pid) {
    }

    public ListeningSocket {
        owners = List.copyOf(owners);
    }

    /** The name of the first owning process, or null when none is visible. */
    public String processName() {
        return owners.isEmpty() ? null : owners.get(0).process();
    }
}
