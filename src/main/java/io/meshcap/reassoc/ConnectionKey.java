package io.meshcap.reassoc;

/**
 * Identifies a redirected connection within one stream of records: the interface it was captured on (state is
 * per interface, so several pods' {@code lo} legs merged into one file never mix), the client endpoint and the
 * REDIRECT port it was sent to. The port is part of the key because Linux may reuse one local port for an
 * outbound call and a self-call at the same time, their destinations being different. A plain class rather than
 * a record: it is looked up for every packet, so its hash is computed once.
 */
final class ConnectionKey {

    private final int interfaceId;
    private final FlowEndpoint client;
    private final int redirectPort;
    private final int hash;

    ConnectionKey(int interfaceId, FlowEndpoint client, int redirectPort) {
        this.interfaceId = interfaceId;
        this.client = client;
        this.redirectPort = redirectPort;
        this.hash = hash(interfaceId, client.hashCode(), redirectPort);
    }

    /** The hash of a key with these fields, the client's by its own hash code. */
    static int hash(int interfaceId, int clientHash, int redirectPort) {
        return (31 * interfaceId + clientHash) * 31 + redirectPort;
    }

    /**
     * Whether this key has these fields, the client being the sender of the packet {@code flow} was read from, or
     * its receiver.
     */
    boolean matches(int interfaceId, FlowEndpoint.Flow flow, boolean clientSent, int redirectPort) {
        return this.interfaceId == interfaceId && this.redirectPort == redirectPort
                && (clientSent ? flow.from(client) : flow.to(client));
    }

    int interfaceId() {
        return interfaceId;
    }

    FlowEndpoint client() {
        return client;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ConnectionKey that && hash == that.hash && interfaceId == that.interfaceId
                && redirectPort == that.redirectPort && client.equals(that.client);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
