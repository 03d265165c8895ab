package io.meshcap.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The lab's HTTP/1.1, so tshark's {@code http} dissector shows every call on every leg: a {@code POST} with Host,
 * {@code x-request-id} (which Envoy adds and Istio propagates) and a body; a {@code 200} answer whose
 * {@value #ECHO_HEADER} header is the server's {@link ServerReport} and whose body echoes the whole request.
 * One call per connection ({@code connection: close}); messages are framed by {@code content-length}, so nobody needs
 * a half-close (which TLS connections of the lab cannot do).
 */
public final class LabHttp {

    public static final String REQUEST_ID = "x-request-id";
    static final String ECHO_HEADER = "x-meshcap-echo";
    private static final String CRLF = "\r\n";
    private static final int MAX_HEAD = 16 * 1024;
    /** Lab requests are a few kilobytes; anything far larger is not lab traffic. */
    private static final int MAX_BODY = 1 << 20;

    /**
     * One HTTP message as read from a connection.
     *
     * @param startLine the request or status line
     * @param headers   header fields, names in lower case
     * @param body      the content-length bytes after the head
     * @param raw       the whole message as it arrived
     */
    public record Message(String startLine, Map<String, String> headers, byte[] body, byte[] raw) {

        public Message {
            headers = Map.copyOf(headers);
        }

        /** A header's value, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private LabHttp() {
    }

    /** A lab call: {@code POST PATH} to {@code host} with {@code requestId} and {@code body}. */
    public static byte[] request(String path, String host, String requestId, byte[] body) {
        return message("POST " + path + " HTTP/1.1" + CRLF
                + "host: " + host + CRLF
                + "user-agent: meshcap-lab" + CRLF
                + REQUEST_ID + ": " + requestId + CRLF
                + "content-type: application/octet-stream" + CRLF
                + "content-length: " + body.length + CRLF, body);
    }

    /** A server's answer: its report in a header, the request it read echoed as the body. */
    static byte[] response(ServerReport report, String requestId, byte[] echo) {
        return message("HTTP/1.1 200 OK" + CRLF
                + "content-type: application/octet-stream" + CRLF
                + "content-length: " + echo.length + CRLF
                + (requestId == null ? "" : REQUEST_ID + ": " + requestId + CRLF)
                + ECHO_HEADER + ": " + report.value() + CRLF
                + "connection: close" + CRLF, echo);
    }

    private static byte[] message(String head, byte[] body) {
        byte[] headBytes = (head + CRLF).getBytes(StandardCharsets.US_ASCII);
        byte[] whole = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, whole, 0, headBytes.length);
        System.arraycopy(body, 0, whole, headBytes.length, body.length);
        return whole;
    }

    /** Reads one message: the head up to the empty line, then {@code content-length} bytes of body. */
    public static Message read(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        int matched = 0;
        byte[] terminator = (CRLF + CRLF).getBytes(StandardCharsets.US_ASCII);
        while (matched < terminator.length) {
            int next = in.read();
            if (next < 0) {
                throw new IOException("the connection ended " + (raw.size() == 0 ? "before a message"
                        : "inside a message head (" + raw.size() + " bytes)"));
            }
            raw.write(next);
            matched = next == terminator[matched] ? matched + 1 : (next == terminator[0] ? 1 : 0);
            if (raw.size() > MAX_HEAD) {
                throw new IOException("a message head longer than " + MAX_HEAD + " bytes: not lab HTTP");
            }
        }
        String[] lines = raw.toString(StandardCharsets.US_ASCII).split(CRLF);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
        }
        int length = contentLength(headers.get("content-length"));
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new IOException("the connection ended after " + body.length + " of " + length + " body bytes");
        }
        raw.write(body);
        return new Message(lines[0], headers, body, raw.toByteArray());
    }

    private static int contentLength(String value) throws IOException {
        if (value == null) {
            return 0;
        }
        try {
            int length = Integer.parseInt(value);
            if (length < 0 || length > MAX_BODY) {
                throw new IOException("content-length " + value + " is not a lab message's");
            }
            return length;
        } catch (NumberFormatException e) {
            throw new IOException("content-length " + value + " is not a number", e);
        }
    }
}
