package io.meshcap.reassoc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The parts of a TLS ClientHello (RFC 8446 4.1.2) that tell an Istio mTLS connection: the server name (SNI,
 * RFC 6066) and the offered application protocols (ALPN, RFC 7301). TLS 1.3 hides everything after the hello,
 * so this is what a capture can show. Its random names the connection in a TLS key log.
 *
 * @param random     the client random, 64 lower-case hex digits: the key a key log files its secrets under
 * @param serverName the SNI host name, or {@code null} when the hello has none
 * @param protocols  the ALPN protocols offered, in order; empty when none
 */
public record ClientHello(String random, String serverName, List<String> protocols) {

    /** Istio's SNI for sidecar-to-sidecar traffic: {@code outbound_.PORT_.SUBSET_.FQDN}. */
    private static final Pattern ISTIO_SNI = Pattern.compile("outbound_\\.\\d+_\\.[^.]*_\\..+");
    private static final String ISTIO_ALPN_PREFIX = "istio";

    private static final int CONTENT_HANDSHAKE = 22;
    private static final int HANDSHAKE_CLIENT_HELLO = 1;
    private static final int TLS_MAJOR_VERSION = 3;
    private static final int RECORD_HEADER = 5;
    private static final int HANDSHAKE_HEADER = 4;
    private static final int RANDOM_LENGTH = 32;
    private static final int VERSION_LENGTH = 2;
    private static final int EXTENSION_SERVER_NAME = 0;
    private static final int EXTENSION_ALPN = 16;
    private static final int SERVER_NAME_HOST = 0;
    /** A hello larger than this is not worth buffering for (real ones are a few hundred bytes to a few kB). */
    public static final int MAX_LENGTH = 16 * 1024;

    public ClientHello {
        protocols = List.copyOf(protocols);
    }

    /** What the first bytes a client sent turned out to be. */
    public sealed interface Parse {
    }

    /** Not enough bytes yet to decide. */
    public record NeedMore() implements Parse {
    }

    /** Not a TLS ClientHello (or one that does not parse). */
    public record NotHello() implements Parse {
    }

    /** A complete ClientHello. */
    public record Parsed(ClientHello hello) implements Parse {
    }

    /** Whether this hello is Istio's: its SNI has Istio's form, or it offers an {@code istio*} ALPN protocol. */
    public boolean istio() {
        return serverName != null && ISTIO_SNI.matcher(serverName).matches()
                || protocols.stream().anyMatch(protocol -> protocol.startsWith(ISTIO_ALPN_PREFIX));
    }

    /**
     * The client random of a ClientHello that starts at {@code from} (the first bytes a client sent), as 64
     * lower-case hex digits, or empty when the bytes up to {@code to} are not the start of one. Only the hello's first
     * 43 bytes are needed (record and handshake headers, version, random), so the first segment is enough.
     */
    public static Optional<String> randomAt(byte[] bytes, int from, int to) {
        int random = from + RECORD_HEADER + HANDSHAKE_HEADER + VERSION_LENGTH;
        if (random + RANDOM_LENGTH > to || (bytes[from] & 0xff) != CONTENT_HANDSHAKE
                || (bytes[from + 1] & 0xff) != TLS_MAJOR_VERSION
                || (bytes[from + RECORD_HEADER] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
            return Optional.empty();
        }
        return Optional.of(HexFormat.of().formatHex(bytes, random, random + RANDOM_LENGTH));
    }

    /**
     * Parses the first {@code length} bytes a client sent on a connection. The hello may span several TLS
     * records; their handshake bytes are joined.
     */
    public static Parse parse(byte[] bytes, int length) {
        if (length == 0) {
            return new NeedMore();
        }
        if ((bytes[0] & 0xff) != CONTENT_HANDSHAKE) {
            return new NotHello();
        }
        byte[] handshake = new byte[length];
        int handshakeLength = 0;
        int at = 0;
        while (at + RECORD_HEADER <= length) {
            if ((bytes[at + 1] & 0xff) != TLS_MAJOR_VERSION) {
                return new NotHello();
            }
            if ((bytes[at] & 0xff) != CONTENT_HANDSHAKE) {
                // Early data or the like after the hello: the handshake bytes end here.
                break;
            }
            int recordLength = u16(bytes, at + 3);
            int available = Math.min(recordLength, length - at - RECORD_HEADER);
            System.arraycopy(bytes, at + RECORD_HEADER, handshake, handshakeLength, available);
            handshakeLength += available;
            at += RECORD_HEADER + recordLength;
        }
        if (handshakeLength < HANDSHAKE_HEADER) {
            return length >= MAX_LENGTH ? new NotHello() : new NeedMore();
        }
        if ((handshake[0] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
            return new NotHello();
        }
        int helloLength = (handshake[1] & 0xff) << 16 | u16(handshake, 2);
        if (HANDSHAKE_HEADER + helloLength > handshakeLength) {
            return HANDSHAKE_HEADER + helloLength > MAX_LENGTH ? new NotHello() : new NeedMore();
        }
        return body(handshake, HANDSHAKE_HEADER, HANDSHAKE_HEADER + helloLength)
                .<Parse>map(Parsed::new).orElseGet(NotHello::new);
    }

    /** The hello's body between {@code from} and {@code to}; empty when a length points past the end. */
    private static Optional<ClientHello> body(byte[] hello, int from, int to) {
        int at = from + VERSION_LENGTH + RANDOM_LENGTH;
        if (at >= to) {
            return Optional.empty();
        }
        String random = HexFormat.of().formatHex(hello, from + VERSION_LENGTH, at);
        at += 1 + (hello[at] & 0xff);
        if (at + 2 > to) {
            return Optional.empty();
        }
        at += 2 + u16(hello, at);
        if (at >= to) {
            return Optional.empty();
        }
        at += 1 + (hello[at] & 0xff);
        if (at + 2 > to) {
            // No extensions at all (allowed before TLS 1.3).
            return at == to ? Optional.of(new ClientHello(random, null, List.of())) : Optional.empty();
        }
        int end = at + 2 + u16(hello, at);
        if (end > to) {
            return Optional.empty();
        }
        String serverName = null;
        List<String> protocols = new ArrayList<>();
        for (at += 2; at + 4 <= end; ) {
            int type = u16(hello, at);
            int length = u16(hello, at + 2);
            int data = at + 4;
            if (data + length > end) {
                return Optional.empty();
            }
            if (type == EXTENSION_SERVER_NAME) {
                serverName = serverName(hello, data, data + length);
            } else if (type == EXTENSION_ALPN) {
                protocols.addAll(protocols(hello, data, data + length));
            }
            at = data + length;
        }
        return Optional.of(new ClientHello(random, serverName, protocols));
    }

    private static String serverName(byte[] hello, int from, int to) {
        for (int at = from + 2; at + 3 <= to; ) {
            int type = hello[at] & 0xff;
            int length = u16(hello, at + 1);
            if (at + 3 + length > to) {
                return null;
            }
            if (type == SERVER_NAME_HOST) {
                return new String(hello, at + 3, length, StandardCharsets.US_ASCII);
            }
            at += 3 + length;
        }
        return null;
    }

    private static List<String> protocols(byte[] hello, int from, int to) {
        List<String> protocols = new ArrayList<>();
        for (int at = from + 2; at < to; ) {
            int length = hello[at] & 0xff;
            if (at + 1 + length > to) {
                break;
            }
            protocols.add(new String(hello, at + 1, length, StandardCharsets.US_ASCII));
            at += 1 + length;
        }
        return protocols;
    }

    private static int u16(byte[] bytes, int at) {
        return (bytes[at] & 0xff) << 8 | (bytes[at + 1] & 0xff);
    }
}
