package io.meshcap.tls;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What decryption needs from a ServerHello (RFC 8446 4.1.3, RFC 5246 7.4.1.3): the chosen version (TLS 1.3 says so
 * in its supported_versions extension), the cipher suite, the server random (TLS 1.2 derives keys from it) and
 * whether it is really a HelloRetryRequest (a fixed random).
 *
 * @param version     the chosen version, e.g. {@code 0x0304} for TLS 1.3, {@code 0x0303} for TLS 1.2
 * @param random      the server random
 * @param cipherSuite the suite's code point
 * @param retry       whether this is a HelloRetryRequest: another ClientHello and ServerHello follow
 */
record ServerHello(int version, byte[] random, int cipherSuite, boolean retry) {

    static final int TLS12 = 0x0303;
    static final int TLS13 = 0x0304;

    /** RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256 of "HelloRetryRequest". */
    private static final byte[] RETRY_RANDOM =
            HexFormat.of().parseHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");
    private static final int VERSION_LENGTH = 2;
    private static final int RANDOM_LENGTH = 32;
    private static final int EXTENSION_SUPPORTED_VERSIONS = 43;

    /** Parses a ServerHello body; empty when a length points past its end. */
    static Optional<ServerHello> parse(byte[] body, int length) {
        int at = VERSION_LENGTH + RANDOM_LENGTH;
        if (at >= length) {
            return Optional.empty();
        }
        byte[] random = Arrays.copyOfRange(body, VERSION_LENGTH, at);
        boolean retry = Arrays.equals(random, RETRY_RANDOM);
        at += 1 + (body[at] & 0xff);
        if (at + 3 > length) {
            return Optional.empty();
        }
        int suite = u16(body, at);
        at += 3;
        int version = u16(body, 0);
        if (at + 2 <= length) {
            int end = Math.min(length, at + 2 + u16(body, at));
            for (at += 2; at + 4 <= end; at += 4 + u16(body, at + 2)) {
                if (u16(body, at) == EXTENSION_SUPPORTED_VERSIONS && at + 6 <= end) {
                    version = u16(body, at + 4);
                }
            }
        }
        return Optional.of(new ServerHello(version, random, suite, retry));
    }

    private static int u16(byte[] bytes, int at) {
        return (bytes[at] & 0xff) << 8 | (bytes[at + 1] & 0xff);
    }
}
