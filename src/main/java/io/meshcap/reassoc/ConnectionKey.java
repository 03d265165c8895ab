package io.meshcap.reassoc;

/**
 * Identifies a redirected connection within one stream of records: the interface it was captured on (state is
 * per interface, so several pods' {@code lo} legs merged into one file never mix), the client endpoint and the
 * REDIRECT port it was sent to. The port is part of the key because Linux may reuse one local port for an
 * outbound call and a self-call at the same time, their destinations being different.
 */
record ConnectionKey(int interfaceId, FlowEndpoint client, int redirectPort) {
}
