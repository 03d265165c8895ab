package io.meshcap.tls;

/** Opens the protected records one side sends under one set of keys. */
interface RecordProtection {

    /** A record's content once opened: {@code bytes[0, length)}. */
    record Opened(int contentType, byte[] bytes, int length) {
    }

    /**
     * Opens the record whose 5-byte header is at {@code header} and whose protected body is {@code body[from, to)};
     * the next record's sequence number follows only when it opens.
     *
     * @return the content, or {@code null} when the record does not authenticate under these keys
     */
    Opened open(byte[] header, byte[] body, int from, int to);
}
