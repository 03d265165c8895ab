package io.meshcap.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What tells one call on two legs: the request ID where the request carries one, and a digest of everything a
 * sidecar passes on unchanged (method, target, the header fields {@link ProxyHeaders} does not list, the body).
 * Fields are compared by name and value but not across names in order: Envoy writes {@code host} first whatever the
 * app's order was; several fields of one name keep their order, which carries meaning.
 *
 * <p>A capture may hold millions of requests, and a key is kept for each: about 200 bytes with a request ID.
 *
 * @param method      the request method
 * @param line        method and target, for people (at most {@value #MAX_LINE} characters)
 * @param requestId   the request ID field's value, or {@code null}
 * @param fingerprint the digest
 */
public record RequestKey(String method, String line, String requestId, Fingerprint fingerprint) {

    static final int MAX_LINE = 200;
    /** The standard methods (RFC 9110 9.3, PATCH), so that millions of keys share one string each. */
    private static final Map<String, String> METHODS = Stream.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
            "OPTIONS", "TRACE", "PATCH").collect(Collectors.toUnmodifiableMap(method -> method, method -> method));

    /** The first 128 bits of a SHA-256 digest: collisions between requests of one capture are not a concern. */
    public record Fingerprint(long high, long low) {
    }

    /** The key of a request, leaving out what {@code proxy} says may differ between legs. */
    public static RequestKey of(HttpRequest request, ProxyHeaders proxy) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides SHA-256", e);
        }
        update(digest, request.method());
        update(digest, request.target());
        List<HttpRequest.Header> kept = request.headers().stream().filter(header -> !proxy.mayDiffer(header.name()))
                .sorted(Comparator.comparing(HttpRequest.Header::name)).toList();
        for (HttpRequest.Header header : kept) {
            update(digest, header.name());
            update(digest, header.value());
        }
        if (request.bodyDigest() != null) {
            digest.update(request.bodyDigest());
        }
        String line = request.line();
        ByteBuffer sum = ByteBuffer.wrap(digest.digest());
        return new RequestKey(METHODS.getOrDefault(request.method(), request.method()),
                line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "..." : line,
                request.header(proxy.requestId()).orElse(null), new Fingerprint(sum.getLong(), sum.getLong()));
    }

    /**
     * Whether two legs' requests are the same call: the same request ID where both carry one (Envoy keeps it across
     * legs and makes a new one per call), otherwise the same fingerprint.
     */
    public boolean sameCall(RequestKey other) {
        if (requestId != null && other.requestId != null) {
            return requestId.equals(other.requestId) && method.equals(other.method);
        }
        return fingerprint.equals(other.fingerprint);
    }

    /** Each part with a terminator, so that ("ab", "c") and ("a", "bc") differ. */
    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.ISO_8859_1));
        digest.update((byte) 0);
    }
}
