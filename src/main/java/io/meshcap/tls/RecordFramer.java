package io.meshcap.tls;

/**
 * Cuts one direction's byte stream into TLS records (RFC 8446 5.1): a 5-byte header (content type, legacy
 * version, length) and the body. A record that arrives whole in one piece is passed on from the bytes given;
 * only one split over several pieces is copied, so at most one record (16 kB and a little) is held.
 */
final class RecordFramer {

    static final int HEADER_LENGTH = 5;
    /** RFC 8446 5.2: a protected record's body is at most 2^14 + 256 bytes. */
    static final int MAX_BODY_LENGTH = (1 << 14) + 256;
    private static final int FIRST_CONTENT_TYPE = 20;
    private static final int LAST_CONTENT_TYPE = 24;
    private static final int VERSION_MAJOR = 3;

    /** What receives the records. */
    interface Records {

        /**
         * One record.
         *
         * @param header the 5 header bytes (the additional data of a protected record); valid during the call
         * @param body   holds the body at {@code [from, to)}; valid during the call
         */
        void record(byte[] header, byte[] body, int from, int to, long timestampNanos);

        /** The bytes are not TLS records (any more); nothing follows. */
        void notRecords(String reason);
    }

    private final Records records;
    private final byte[] header = new byte[HEADER_LENGTH];
    private int headerFill;
    private byte[] body;
    private int bodyFill;
    private boolean stopped;

    RecordFramer(Records records) {
        this.records = records;
    }

    void bytes(byte[] data, int from, int to, long timestampNanos) {
        int at = from;
        while (!stopped && at < to) {
            if (headerFill == 0 && body == null && to - at >= HEADER_LENGTH) {
                int length = length(data, at);
                if (!valid(data[at], data[at + 1], length)) {
                    return;
                }
                if (to - at - HEADER_LENGTH >= length) {
                    System.arraycopy(data, at, header, 0, HEADER_LENGTH);
                    records.record(header, data, at + HEADER_LENGTH, at + HEADER_LENGTH + length, timestampNanos);
                    at += HEADER_LENGTH + length;
                    continue;
                }
            }
            if (headerFill < HEADER_LENGTH) {
                int take = Math.min(HEADER_LENGTH - headerFill, to - at);
                System.arraycopy(data, at, header, headerFill, take);
                headerFill += take;
                at += take;
                if (headerFill < HEADER_LENGTH) {
                    return;
                }
                int length = length(header, 0);
                if (!valid(header[0], header[1], length)) {
                    return;
                }
                body = new byte[length];
                bodyFill = 0;
            }
            int take = Math.min(body.length - bodyFill, to - at);
            System.arraycopy(data, at, body, bodyFill, take);
            bodyFill += take;
            at += take;
            if (bodyFill == body.length) {
                byte[] complete = body;
                body = null;
                headerFill = 0;
                records.record(header, complete, 0, complete.length, timestampNanos);
            }
        }
    }

    private boolean valid(byte type, byte versionMajor, int length) {
        int contentType = type & 0xff;
        if (contentType < FIRST_CONTENT_TYPE || contentType > LAST_CONTENT_TYPE || versionMajor != VERSION_MAJOR) {
            stop(String.format("bytes that are not a TLS record header (%02x %02x)", contentType, versionMajor & 0xff));
            return false;
        }
        if (length > MAX_BODY_LENGTH) {
            stop("a TLS record of " + length + " bytes, more than TLS allows");
            return false;
        }
        return true;
    }

    private void stop(String reason) {
        stopped = true;
        body = null;
        records.notRecords(reason);
    }

    private static int length(byte[] bytes, int at) {
        return (bytes[at + 3] & 0xff) << 8 | (bytes[at + 4] & 0xff);
    }
}
