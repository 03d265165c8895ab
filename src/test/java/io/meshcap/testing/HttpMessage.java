package io.meshcap.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP/1.1 message as the test's stand-ins for apps and sidecars pass it on: the start line, the header lines
 * as written, and a body framed by Content-Length (all the tests send).
 *
 * @param start   the request or status line
 * @param headers header lines, {@code Name: value}
 * @param body    the body
 */
public record HttpMessage(String start, List<String> headers, byte[] body) {

    private static final String CRLF = "\r\n";

    public HttpMessage {
        headers = List.copyOf(headers);
    }

    /** A request with a Content-Length when it has a body. */
    public static HttpMessage request(String line, List<String> headers, String body) {
        List<String> all = new ArrayList<>(headers);
        if (!body.isEmpty()) {
            all.add("Content-Length: " + body.length());
        }
        return new HttpMessage(line, all, body.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A 200 response carrying {@code body}. */
    public static HttpMessage ok(String body) {
        return new HttpMessage("HTTP/1.1 200 OK", List.of("content-type: text/plain",
                "content-length: " + body.length()), body.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The first value of a header, any case, or null. */
    public String header(String name) {
        for (String header : headers) {
            int colon = header.indexOf(':');
            if (header.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return header.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** The same message with other header lines. */
    public HttpMessage withHeaders(List<String> newHeaders) {
        return new HttpMessage(start, newHeaders, body);
    }

    public void writeTo(OutputStream out) throws IOException {
        StringBuilder head = new StringBuilder(start).append(CRLF);
        headers.forEach(header -> head.append(header).append(CRLF));
        head.append(CRLF);
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** The next message on {@code in}, or null at the end of the stream before one began. */
    public static HttpMessage read(InputStream in) throws IOException {
        String start = line(in);
        if (start == null) {
            return null;
        }
        List<String> headers = new ArrayList<>();
        int length = 0;
        for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
            headers.add(line);
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return new HttpMessage(start, headers, in.readNBytes(length));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }
}
