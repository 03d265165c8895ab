package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SsParserTest {

    /** ss -Htlnup in a sidecar pod: the seed's ss -ln view, as the newer ss prints it. */
    private static final String SIDECAR = """
            tcp   LISTEN 0      4096         0.0.0.0:15021      0.0.0.0:*    users:(("envoy",pid=3555,fd=40),("envoy",pid=3555,fd=34),("envoy",pid=3555,fd=22))
            tcp   LISTEN 0      4096       127.0.0.1:15000      0.0.0.0:*    users:(("envoy",pid=3555,fd=18))
            tcp   LISTEN 0      4096       127.0.0.1:15004      0.0.0.0:*    users:(("pilot-agent",pid=3406,fd=17))
            tcp   LISTEN 0      4096               *:15020            *:*    users:(("pilot-agent",pid=3406,fd=12))
            tcp   LISTEN 0      4096            [::]:15006         [::]:*
            udp   UNCONN 0      0          127.0.0.1:15053      0.0.0.0:*    users:(("pilot-agent",pid=3406,fd=20))
            udp   UNCONN 0      0      127.0.0.53%lo:53         0.0.0.0:*
            garbage
            """;

    @Test
    void readsAddressesPortsAndOwners() {
        SsParser.Result result = SsParser.parse(SIDECAR);
        List<ListeningSocket> sockets = result.sockets();
        assertEquals(7, sockets.size());
        assertEquals(new ListeningSocket("tcp", "0.0.0.0", 15021, List.of(new ListeningSocket.Owner("envoy", 3555))),
                sockets.get(0));
        assertEquals("127.0.0.1", sockets.get(2).address());
        assertEquals("pilot-agent", sockets.get(2).processName());
        assertEquals("*", sockets.get(3).address());
        assertEquals(new ListeningSocket("tcp", "::", 15006, List.of()), sockets.get(4));
        assertEquals("udp", sockets.get(5).protocol());
        assertEquals("127.0.0.53%lo", sockets.get(6).address());
        assertEquals(53, sockets.get(6).port());
        assertEquals(List.of("garbage"), result.unreadable());
    }

    @Test
    void readsTheOwnerUidThatDashEPrints() {
        List<ListeningSocket> sockets = SsParser.parse("""
                tcp LISTEN 0 4096 0.0.0.0:15006 0.0.0.0:* users:(("envoy",pid=41,fd=36)) uid:1337 ino:9 sk:3 <->
                tcp LISTEN 0 128 0.0.0.0:8080 0.0.0.0:* ino:637 sk:101f cgroup:/ <->
                """).sockets();
        assertEquals(new ListeningSocket("tcp", "0.0.0.0", 15006, List.of(new ListeningSocket.Owner("envoy", 41)), 1337),
                sockets.get(0));
        assertEquals(0, sockets.get(1).uid());
    }
}
