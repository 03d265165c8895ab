package io.meshcap.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When two legs' requests are the same call. */
class RequestKeyTest {

    private static final String APP = "GET /reviews/1 HTTP/1.1\r\nUser-Agent: app/1\r\nHost: reviews:9080\r\n"
            + "Accept: */*\r\nAccept: text/plain\r\nConnection: keep-alive\r\n\r\n";
    /** The same request as Envoy's HTTP/1 codec sends it upstream (the fields Istio adds on the outbound side). */
    private static final String ENVOY = "GET /reviews/1 HTTP/1.1\r\nhost: reviews:9080\r\nuser-agent: app/1\r\n"
            + "accept: */*\r\naccept: text/plain\r\nx-forwarded-proto: http\r\n"
            + "x-request-id: 3f6c1e52-8a8e-9c5b-a0b6-1c4f0e0f9d27\r\nx-envoy-attempt-count: 1\r\n"
            + "x-envoy-peer-metadata-id: sidecar~198.18.0.2~app.lab~lab.svc.cluster.local\r\n"
            + "x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\r\nx-b3-spanid: e457b5a2e4d86bd1\r\n"
            + "x-b3-sampled: 1\r\n\r\n";

    @Test
    void whatEnvoyAddsOrRewritesDoesNotMatterWhatTheAppSentDoes() {
        assertTrue(key(APP).sameCall(key(ENVOY)));
        assertFalse(key(APP).sameCall(key(APP.replace("reviews/1", "reviews/2"))));
        assertFalse(key(APP).sameCall(key(APP.replace("app/1", "app/2"))));
        assertFalse(key(APP).sameCall(key(APP.replace("Accept: */*\r\nAccept: text/plain",
                "Accept: text/plain\r\nAccept: */*"))), "values of one field keep their order");
        assertNull(key(APP).requestId());
        assertEquals("3f6c1e52-8a8e-9c5b-a0b6-1c4f0e0f9d27", key(ENVOY).requestId());
    }

    @Test
    void bodiesCountWhateverTheirFraming() {
        String lengthFramed = "POST /r HTTP/1.1\r\nHost: r\r\nContent-Length: 7\r\n\r\nstars=5";
        String chunked = "POST /r HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstars=5\r\n0\r\n\r\n";
        assertTrue(key(lengthFramed).sameCall(key(chunked)));
        assertFalse(key(lengthFramed).sameCall(key(lengthFramed.replace("stars=5", "stars=4"))));
    }

    @Test
    void requestIdsDecideWhereBothLegsCarryOne() {
        String inbound = ENVOY;
        String forwarded = ENVOY.replace("x-b3-spanid: e457b5a2e4d86bd1", "x-b3-spanid: 0000000000000001")
                .replace("GET /reviews/1", "GET /reviews/1/");
        assertTrue(key(inbound).sameCall(key(forwarded)), "the same ID: the same call, even with the path normalised");
        assertFalse(key(inbound).sameCall(key(inbound.replace("3f6c1e52", "99999999"))),
                "another ID: another call, however alike");
    }

    private static RequestKey key(String request) {
        List<HttpRequest> found = new ArrayList<>();
        RequestScanner scanner = new RequestScanner(found::add);
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        scanner.bytes(bytes, 0, bytes.length, 0);
        assertEquals(1, found.size(), request);
        return RequestKey.of(found.get(0), ProxyHeaders.bundled());
    }
}
