package io.meshcap.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Requests found in what a client sent, however the bytes were cut into segments. */
class RequestScannerTest {

    private static final String KEEP_ALIVE = "POST /ratings?x=1 HTTP/1.1\r\nHost: ratings\r\nContent-Length: 7\r\n\r\nstars=5"
            + "GET /reviews/1 HTTP/1.1\r\nHost: reviews\r\nX-Request-Id: abc\r\n\r\n"
            + "PUT /chunked HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;ext=1\r\nstar\r\n3\r\ns=5\r\n0\r\nTrailer-Field: t\r\n\r\n"
            + "DELETE /last HTTP/1.0\n\n";

    @Test
    void keepAliveRequestsAreFoundWholeOrByteByByte() throws Exception {
        List<HttpRequest> whole = scan(KEEP_ALIVE.getBytes(StandardCharsets.ISO_8859_1), Integer.MAX_VALUE);
        List<HttpRequest> bytes = scan(KEEP_ALIVE.getBytes(StandardCharsets.ISO_8859_1), 1);

        for (List<HttpRequest> requests : List.of(whole, bytes)) {
            assertEquals(List.of("POST /ratings?x=1", "GET /reviews/1", "PUT /chunked", "DELETE /last"),
                    requests.stream().map(HttpRequest::line).toList());
            assertEquals("abc", requests.get(1).header("x-request-id").orElseThrow(), "names are lower case");
            assertArrayEquals(sha256("stars=5"), requests.get(0).bodyDigest());
            assertArrayEquals(sha256("stars=5"), requests.get(2).bodyDigest(), "chunked framing is taken off");
            assertArrayEquals(sha256(""), requests.get(3).bodyDigest());
        }
        assertEquals(0, whole.get(0).startNanos());
        assertEquals(KEEP_ALIVE.indexOf("GET /reviews"), bytes.get(1).startNanos(), "the time of its first byte");
    }

    @Test
    void aBodyCutShortByTheEndOfTheCaptureHasNoDigest() {
        List<HttpRequest> found = new ArrayList<>();
        RequestScanner scanner = new RequestScanner(found::add);
        byte[] bytes = "POST /upload HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly part".getBytes(StandardCharsets.US_ASCII);
        scanner.bytes(bytes, 0, bytes.length, 1);
        assertTrue(found.isEmpty());
        scanner.finish();
        assertEquals("POST /upload", found.get(0).line());
        assertNull(found.get(0).bodyDigest());
    }

    @Test
    void otherProtocolsStopTheScanWithTheReason() {
        assertEquals("HTTP/2 (its requests are not read)",
                stopReason("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("not HTTP/1.x requests", stopReason(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
            (byte) 0xfc, 0x03, 0x03, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b}));
        assertEquals("a tunnel (CONNECT or Upgrade) follows the request",
                stopReason("CONNECT db:5432 HTTP/1.1\r\nHost: db\r\n\r\n\u0000binary".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] endless = ("GET / HTTP/1.1\r\nX-Long: " + "a".repeat(RequestScanner.MAX_HEAD)).getBytes(StandardCharsets.US_ASCII);
        assertTrue(stopReason(endless).startsWith("a request head longer than 64 kB"));
    }

    @Test
    void aGapEndsTheScan() {
        List<HttpRequest> found = new ArrayList<>();
        RequestScanner scanner = new RequestScanner(found::add);
        scanner.gap("10 bytes after byte 0 were never captured");
        byte[] bytes = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        scanner.bytes(bytes, 0, bytes.length, 1);
        assertTrue(found.isEmpty());
        assertTrue(scanner.stopped().orElseThrow().contains("never captured"));
    }

    private static String stopReason(byte[] bytes) {
        RequestScanner scanner = new RequestScanner(request -> { });
        scanner.bytes(bytes, 0, bytes.length, 0);
        return scanner.stopped().orElse(null);
    }

    /** Scans {@code bytes} in pieces of {@code piece} bytes, each stamped with the offset it starts at. */
    private static List<HttpRequest> scan(byte[] bytes, int piece) {
        List<HttpRequest> found = new ArrayList<>();
        RequestScanner scanner = new RequestScanner(found::add);
        for (int at = 0; at < bytes.length; at += piece) {
            scanner.bytes(bytes, at, (int) Math.min(bytes.length, (long) at + piece), at);
        }
        scanner.finish();
        assertTrue(scanner.stopped().isEmpty(), scanner.stopped().orElse(""));
        return found;
    }

    private static byte[] sha256(String text) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.ISO_8859_1));
    }
}
