package io.meshcap.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the HTTP/1.x requests in what a client sent on one connection, in order: each request head (request line
 * and header fields), then its body by Content-Length or chunked framing (RFC 9112 6 and 7.1), then the next
 * request of a keep-alive connection. Bodies are digested as they pass, never kept; a head is held only until it is
 * complete, at most {@value #MAX_HEAD} bytes.
 *
 * <p>It stops for good, saying why, at bytes that are not an HTTP/1.x request (another protocol), at HTTP/2's
 * connection preface, after a CONNECT or Upgrade (a tunnel follows) and at a gap in the bytes.
 */
public final class RequestScanner {

    /** Envoy's default limit on a request head is 60 kB; a little more covers any head Envoy forwards. */
    static final int MAX_HEAD = 64 * 1024;
    private static final int MAX_CHUNK_LINE = 1024;
    private static final Pattern REQUEST_LINE =
            Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\\S+) HTTP/1\\.[01]");
    private static final Pattern LINE_BREAK = Pattern.compile("\r?\n");
    private static final String HTTP2_PREFACE = "PRI * HTTP/2.0";
    private static final int HEX = 16;

    /** What receives the requests. */
    @FunctionalInterface
    public interface Requests {
        void request(HttpRequest request);
    }

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, STOPPED }

    private final Requests requests;
    private final MessageDigest body;
    private State state = State.HEAD;
    private byte[] line = new byte[256];
    private int lineLength;
    private long headStart;
    private long remaining;
    private HttpRequest pending;
    private String stopped;

    public RequestScanner(Requests requests) {
        this.requests = requests;
        try {
            this.body = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides SHA-256", e);
        }
    }

    /** The next bytes the client sent, {@code data[from, to)}, captured at {@code timestampNanos}. */
    public void bytes(byte[] data, int from, int to, long timestampNanos) {
        int at = from;
        while (at < to && state != State.STOPPED) {
            switch (state) {
                case HEAD -> at = head(data, at, to, timestampNanos);
                case BODY, CHUNK_DATA -> {
                    int take = (int) Math.min(remaining, to - at);
                    body.update(data, at, take);
                    remaining -= take;
                    at += take;
                    if (remaining == 0) {
                        if (state == State.BODY) {
                            complete();
                        } else {
                            state = State.CHUNK_END;
                        }
                    }
                }
                default -> at = chunkLine(data, at, to);
            }
        }
    }

    /** The bytes stop being readable (a gap in the capture): nothing more is read. */
    public void gap(String reason) {
        stop("the capture misses bytes of this connection (" + reason + ")");
    }

    /** At the end of the capture: a request whose body was still coming is passed on without a body digest. */
    public void finish() {
        if (pending != null) {
            requests.request(pending);
            pending = null;
        }
    }

    /** Why the scanner stopped reading requests, if it did. */
    public Optional<String> stopped() {
        return Optional.ofNullable(stopped);
    }

    /** Collects head bytes up to the empty line that ends the head. */
    private int head(byte[] data, int from, int to, long timestampNanos) {
        if (lineLength == 0) {
            headStart = timestampNanos;
        }
        for (int at = from; at < to; at++) {
            append(data[at]);
            if (lineLength > MAX_HEAD) {
                stop("a request head longer than " + MAX_HEAD / 1024 + " kB, or not HTTP/1.x");
                return to;
            }
            if (data[at] == '\n' && headEnded()) {
                parseHead();
                return at + 1;
            }
        }
        if (lineLength >= HTTP2_PREFACE.length() && !startsLikeRequest()) {
            stop("not HTTP/1.x requests");
        }
        return to;
    }

    /** Chunk-size lines, the CRLF after chunk data, and trailer lines. */
    private int chunkLine(byte[] data, int from, int to) {
        for (int at = from; at < to; at++) {
            append(data[at]);
            if (lineLength > MAX_CHUNK_LINE) {
                stop("a chunk line longer than " + MAX_CHUNK_LINE + " bytes");
                return to;
            }
            if (data[at] == '\n') {
                String text = new String(line, 0, lineLength, StandardCharsets.ISO_8859_1).strip();
                lineLength = 0;
                endOfLine(text);
                return at + 1;
            }
        }
        return to;
    }

    private void endOfLine(String text) {
        switch (state) {
            case CHUNK_END -> state = State.CHUNK_SIZE;
            case TRAILERS -> {
                if (text.isEmpty()) {
                    complete();
                }
            }
            default -> {
                int extension = text.indexOf(';');
                String size = (extension < 0 ? text : text.substring(0, extension)).strip();
                try {
                    remaining = Long.parseLong(size, HEX);
                } catch (NumberFormatException e) {
                    stop("a chunk size that is not hexadecimal");
                    return;
                }
                state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
            }
        }
    }

    private void parseHead() {
        String head = new String(line, 0, lineLength, StandardCharsets.ISO_8859_1);
        lineLength = 0;
        String[] lines = LINE_BREAK.split(head);
        if (lines[0].equals(HTTP2_PREFACE)) {
            stop("HTTP/2 (its requests are not read)");
            return;
        }
        Matcher requestLine = REQUEST_LINE.matcher(lines[0]);
        if (!requestLine.matches()) {
            stop("not HTTP/1.x requests");
            return;
        }
        List<HttpRequest.Header> headers = new ArrayList<>();
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.add(new HttpRequest.Header(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip()));
            }
        }
        String method = requestLine.group(1);
        pending = new HttpRequest(headStart, method, requestLine.group(2), headers, null);
        body.reset();
        if (method.equals("CONNECT") || last(headers, "upgrade").isPresent()) {
            complete();
            stop("a tunnel (CONNECT or Upgrade) follows the request");
            return;
        }
        Optional<String> transferCoding = last(headers, "transfer-encoding");
        Optional<String> length = last(headers, "content-length");
        if (transferCoding.isPresent() && transferCoding.get().toLowerCase(Locale.ROOT).endsWith("chunked")) {
            state = State.CHUNK_SIZE;
            return;
        }
        try {
            remaining = length.map(Long::parseLong).orElse(0L);
        } catch (NumberFormatException e) {
            stop("a Content-Length that is not a number");
            return;
        }
        if (remaining == 0) {
            complete();
        } else {
            state = State.BODY;
        }
    }

    private void complete() {
        requests.request(new HttpRequest(pending.startNanos(), pending.method(), pending.target(), pending.headers(),
                body.digest()));
        pending = null;
        state = State.HEAD;
    }

    private void stop(String reason) {
        if (stopped == null) {
            stopped = reason;
        }
        state = State.STOPPED;
        line = new byte[0];
        lineLength = 0;
    }

    private void append(byte b) {
        if (lineLength == line.length) {
            line = Arrays.copyOf(line, Math.min(line.length * 2, MAX_HEAD + 1));
        }
        line[lineLength++] = b;
    }

    /** Whether the head collected so far ends with an empty line (CRLF CRLF, or bare LFs). */
    private boolean headEnded() {
        return lineLength >= 2 && line[lineLength - 2] == '\n'
                || lineLength >= 4 && line[lineLength - 2] == '\r' && line[lineLength - 3] == '\n';
    }

    /** A request starts with a method token and a space; anything else is another protocol. */
    private boolean startsLikeRequest() {
        for (int i = 0; i < lineLength; i++) {
            byte b = line[i];
            if (b == ' ') {
                return i > 0;
            }
            if (b <= ' ' || b >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static Optional<String> last(List<HttpRequest.Header> headers, String name) {
        Optional<String> value = Optional.empty();
        for (HttpRequest.Header header : headers) {
            if (header.name().equals(name)) {
                value = Optional.of(header.value());
            }
        }
        return value;
    }
}
