package io.meshcap.tls;

/**
 * Finds the handshake messages (RFC 8446 4: type, 3-byte length, body) in the handshake content one side sends,
 * across record boundaries. Only the start of each body is kept ({@value #KEPT} bytes: the hellos and KeyUpdate fit,
 * certificates are only counted), so a message costs no memory beyond that however large it is.
 */
final class HandshakeWalker {

    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    static final int NEW_SESSION_TICKET = 4;
    static final int FINISHED = 20;
    static final int KEY_UPDATE = 24;
    private static final int HEADER_LENGTH = 4;
    private static final int KEPT = 2048;

    /** What receives the messages. */
    interface Messages {

        /**
         * One complete message.
         *
         * @param body   its first {@code kept} bytes
         * @param length the body's full length, possibly more than {@code kept}
         */
        void message(int type, byte[] body, int kept, int length);
    }

    private final Messages messages;
    private final byte[] header = new byte[HEADER_LENGTH];
    private int headerFill;
    private byte[] body = new byte[0];
    private int length;
    private int received;

    HandshakeWalker(Messages messages) {
        this.messages = messages;
    }

    void bytes(byte[] data, int from, int to) {
        int at = from;
        while (true) {
            if (headerFill < HEADER_LENGTH) {
                int take = Math.min(HEADER_LENGTH - headerFill, to - at);
                System.arraycopy(data, at, header, headerFill, take);
                headerFill += take;
                at += take;
                if (headerFill < HEADER_LENGTH) {
                    return;
                }
                length = (header[1] & 0xff) << 16 | (header[2] & 0xff) << 8 | (header[3] & 0xff);
                received = 0;
                if (body.length < Math.min(length, KEPT)) {
                    body = new byte[Math.min(length, KEPT)];
                }
            }
            int take = Math.min(length - received, to - at);
            int keep = Math.max(0, Math.min(take, KEPT - received));
            System.arraycopy(data, at, body, received, keep);
            received += take;
            at += take;
            if (received < length) {
                return;
            }
            headerFill = 0;
            messages.message(header[0] & 0xff, body, Math.min(length, KEPT), length);
        }
    }

    /** Whether a message has begun and not ended: a key change must come at a message boundary. */
    boolean midMessage() {
        return headerFill > 0;
    }
}
