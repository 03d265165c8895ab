package io.meshcap.http;

import java.util.List;
import java.util.Optional;

/**
 * One HTTP/1.x request as a client sent it: when it began, its request line, its header fields in order, and a
 * digest of its body (after chunked framing is taken off).
 *
 * @param startNanos  capture time of the bytes that began the request
 * @param method      e.g. {@code GET}
 * @param target      the request target as sent, e.g. {@code /reviews/1?x=2}
 * @param headers     every header field in order, names in lower case, values without surrounding white space
 * @param bodyDigest  SHA-256 of the body, or {@code null} when the capture ends before the body does
 */
public record HttpRequest(long startNanos, String method, String target, List<Header> headers, byte[] bodyDigest) {

    public HttpRequest {
        headers = List.copyOf(headers);
    }

    /** One header field; {@code name} in lower case (HTTP names are case-insensitive, Envoy writes lower case). */
    public record Header(String name, String value) {
    }

    /** The first value of a header, by lower-case name. */
    public Optional<String> header(String name) {
        return headers.stream().filter(header -> header.name().equals(name)).map(Header::value).findFirst();
    }

    /** {@code GET /reviews/1}. */
    public String line() {
        return method + " " + target;
    }
}
