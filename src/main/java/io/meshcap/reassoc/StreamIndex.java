package io.meshcap.reassoc;

/**
 * The stitcher's current stream of each connection (its two endpoints in either order, on one interface), found from
 * a packet's own bytes ({@link FlowEndpoint.Flow}): a packet of a known connection costs a hash and a comparison of its headers, and no key or
 * endpoint object. Streams are only ever added or replaced (a reused port starts a new stream), never removed, so an
 * open-addressed table with linear probing stays simple.
 */
final class StreamIndex {

    private static final int INITIAL_CAPACITY = 64;
    /** 2^32 divided by the golden ratio. */
    private static final int FIBONACCI = 0x9e3779b9;

    /** Power-of-two length, at most half full. */
    private TcpStream[] slots = new TcpStream[INITIAL_CAPACITY];
    private int[] hashes = new int[INITIAL_CAPACITY];
    private int size;

    /** The current stream of the connection {@code flow} belongs to on interface {@code interfaceId}, or null. */
    TcpStream find(int interfaceId, FlowEndpoint.Flow flow) {
        int hash = hash(interfaceId, flow.sourceHash() + flow.destinationHash());
        int mask = slots.length - 1;
        for (int i = slot(hash); slots[i] != null; i = (i + 1) & mask) {
            if (hashes[i] == hash && slots[i].carries(interfaceId, flow)) {
                return slots[i];
            }
        }
        return null;
    }

    /** Makes {@code stream} its connection's current stream, in place of the one before, if any. */
    void put(TcpStream stream) {
        int hash = hash(stream.interfaceId, stream.client.hashCode() + stream.server.hashCode());
        int mask = slots.length - 1;
        int i = slot(hash);
        for (; slots[i] != null; i = (i + 1) & mask) {
            if (hashes[i] == hash && slots[i].sameConnection(stream)) {
                slots[i] = stream;
                return;
            }
        }
        slots[i] = stream;
        hashes[i] = hash;
        if (++size * 2 > slots.length) {
            grow();
        }
    }

    private void grow() {
        TcpStream[] oldSlots = slots;
        int[] oldHashes = hashes;
        slots = new TcpStream[oldSlots.length * 2];
        hashes = new int[oldSlots.length * 2];
        int mask = slots.length - 1;
        for (int j = 0; j < oldSlots.length; j++) {
            if (oldSlots[j] != null) {
                int i = slot(oldHashes[j]);
                while (slots[i] != null) {
                    i = (i + 1) & mask;
                }
                slots[i] = oldSlots[j];
                hashes[i] = oldHashes[j];
            }
        }
    }

    /** Where probing for {@code hash} starts: its top bits, which the multiplication mixed best. */
    private int slot(int hash) {
        return hash >>> (Integer.SIZE - Integer.numberOfTrailingZeros(slots.length));
    }

    /**
     * The same for both directions of a connection (the endpoints' hashes are added), then spread over the table by
     * a multiplicative (Fibonacci) hash: a host's connections differ in consecutive client ports, which linear
     * probing would otherwise pile up into one long run.
     */
    private static int hash(int interfaceId, int endpointsHash) {
        return (31 * endpointsHash + interfaceId) * FIBONACCI;
    }
}
