package io.meshcap.tls;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What decryption needs from a ServerHello (RFC 8446 4.1.3): the chosen cipher suite, whether TLS 1.3 was chosen
 * (its supported_versions extension), and whether it is really a HelloRetryRequest (a fixed random).
 *
 * @param cipherSuite the suite's code point
 * @param tls13       whether the server chose TLS 1.3
 * @param retry       whether this is a HelloRetryRequest: another ClientHello and ServerHello follow
 */
record ServerHello(int cipherSuite, boolean tls13, boolean retry) {

    /** RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256 of "HelloRetryRequest". */
    private static final byte[] RETRY_RANDOM =
            HexFormat.of().parseHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");
    private static final int VERSION_LENGTH = 2;
    private static final int RANDOM_LENGTH = 32;
    private static final int EXTENSION_SUPPORTED_VERSIONS = 43;
    private static final int TLS13 = 0x0304;

    /** Parses a ServerHello body; empty when a length points past its end. */
    static Optional<ServerHello> parse(byte[] body, int length) {
        int at = VERSION_LENGTH + RANDOM_LENGTH;
        if (at >= length) {
            return Optional.empty();
        }
        boolean retry = Arrays.equals(body, VERSION_LENGTH, at, RETRY_RANDOM, 0, RANDOM_LENGTH);
        at += 1 + (body[at] & 0xff);
        if (at + 3 > length) {
            return Optional.empty();
        }
        int suite = u16(body, at);
        at += 3;
        boolean tls13 = false;
        if (at + 2 <= length) {
            int end = Math.min(length, at + 2 + u16(body, at));
            for (at += 2; at + 4 <= end; at += 4 + u16(body, at + 2)) {
                if (u16(body, at) == EXTENSION_SUPPORTED_VERSIONS && at + 6 <= end) {
                    tls13 = u16(body, at + 4) == TLS13;
                }
            }
        }
        return Optional.of(new ServerHello(suite, tls13, retry));
    }

    private static int u16(byte[] bytes, int at) {
        return (bytes[at] & 0xff) << 8 | (bytes[at + 1] & 0xff);
    }
}
