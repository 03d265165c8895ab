package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.net.Addresses;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab's pure parts: config checks, address text, sockaddr layout, server report, HTTP framing, ledger JSON, argv. */
class LabUnitTest {

    @Test
    void badNamesAndPortsAreUsageErrors() {
        for (String name : List.of("", "Upper", "has space", "-dash", "x".repeat(LabConfig.MAX_NAME_LENGTH + 1))) {
            MeshcapException failure = assertThrows(MeshcapException.class,
                    () -> LabConfig.defaults().withName(name));
            assertEquals(MeshcapException.Kind.USAGE, failure.kind());
        }
        for (List<Integer> ports : List.of(List.<Integer>of(), List.of(15001), List.of(0), List.of(8080, 8080))) {
            assertThrows(MeshcapException.class, () -> LabConfig.defaults().withAppPorts(ports));
        }
        assertThrows(MeshcapException.class, () -> LabConfig.defaults().withProxyUid(0));
    }

    @Test
    void addressesAreFormattedLikeTshark() throws Exception {
        assertEquals("2001:2::2", Addresses.format(InetAddress.getByName("2001:2:0:0:0:0:0:2")));
        assertEquals("::6", Addresses.format(InetAddress.getByName("::6")));
        assertEquals("1:0:2::", Addresses.format(InetAddress.getByName("1:0:2:0:0:0:0:0")));
        assertEquals("198.18.0.2", Addresses.format(InetAddress.getByName("198.18.0.2")));
        assertEquals("[2001:2::2]:8080", new Endpoint("2001:2::2", 8080).toString());
    }

    @Test
    void sockaddrHasTheKernelLayout() throws Exception {
        byte[] raw = SockAddr.encode(new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 8080));
        assertEquals(SockAddr.IPV4_LENGTH, raw.length);
        assertArrayEquals(new byte[] {0x1f, (byte) 0x90, (byte) 198, 18, 0, 1}, Arrays.copyOfRange(raw, 2, 8),
                "port in network byte order, then the address");
        for (String address : List.of("198.18.0.1", "2001:2::1")) {
            InetSocketAddress endpoint = new InetSocketAddress(InetAddress.getByName(address), 15001);
            assertEquals(endpoint, SockAddr.decode(SockAddr.encode(endpoint)));
        }
    }

    @Test
    void serverReportsRoundTrip() {
        ServerReport report = new ServerReport("app", new Endpoint("2001:2::2", 8080), new Endpoint("::6", 40000),
                12, "ab");
        assertEquals(report, ServerReport.parse(report.value()));
        assertThrows(IllegalArgumentException.class, () -> ServerReport.parse("role=app"));
        assertThrows(IllegalArgumentException.class, () -> ServerReport.parse(null));
    }

    @Test
    void labCallsAreHttpMessagesFramedByTheirLength() throws Exception {
        byte[] request = LabHttp.request("/lab/call/7", "app.lab.svc.cluster.local:8080", "id-7",
                "body".getBytes(StandardCharsets.US_ASCII));
        assertEquals("POST /lab/call/7 HTTP/1.1\r\nhost: app.lab.svc.cluster.local:8080\r\nuser-agent: meshcap-lab\r\n"
                + "x-request-id: id-7\r\ncontent-type: application/octet-stream\r\ncontent-length: 4\r\n\r\nbody",
                new String(request, StandardCharsets.US_ASCII));
        byte[] next = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] both = Arrays.copyOf(request, request.length + next.length);
        System.arraycopy(next, 0, both, request.length, next.length);
        InputStream in = new ByteArrayInputStream(both);
        LabHttp.Message message = LabHttp.read(in);
        assertEquals("POST /lab/call/7 HTTP/1.1", message.startLine());
        assertEquals("id-7", message.header("X-Request-Id"));
        assertArrayEquals("body".getBytes(StandardCharsets.US_ASCII), message.body());
        assertArrayEquals(request, message.raw());
        assertEquals("GET / HTTP/1.1", LabHttp.read(in).startLine(), "the next message is left for the next read");
        assertThrows(IOException.class, () -> LabHttp.read(new ByteArrayInputStream(
                Arrays.copyOf(request, request.length - 1))), "a body cut short");
    }

    @Test
    void ledgerJsonRoundTrips() {
        LedgerEntry entry = new LedgerEntry(1, "5f0c4f8e-2b1d-4e59-9d44-4f3e9d2c7a10", LedgerEntry.Kind.OUTBOUND,
                "ipv4", 8080,
                new Endpoint("198.18.0.2", 40000), new Endpoint("198.18.0.1", 8080), "upstream",
                new Endpoint("198.18.0.1", 8080), new Endpoint("198.18.0.2", 40002), 10, "aa", 10, "aa", true, true);
        Ledger ledger = new Ledger("mctest-x", "198.18.0.2", null, List.of(entry));
        String json = ledger.toJson();
        assertTrue(json.contains("\"kind\" : \"outbound\""), json);
        assertEquals(ledger, Ledger.fromJson(json));
    }

    @Test
    void payloadsDifferPerConnectionAndAreReproducible() {
        assertArrayEquals(TrafficGenerator.payload(3, LedgerEntry.Kind.INBOUND),
                TrafficGenerator.payload(3, LedgerEntry.Kind.INBOUND));
        assertTrue(TrafficGenerator.payload(3, LedgerEntry.Kind.INBOUND).length
                != TrafficGenerator.payload(4, LedgerEntry.Kind.INBOUND).length);
    }

    @Test
    void theSidecarRunsAsTheProxyUidInThePodNamespace() {
        LabConfig config = LabConfig.defaults().withName("demo").withProxyUid(4242).withIpv6(true);
        RunDirectory run = RunDirectory.of("demo");
        List<String> argv = LabProcesses.argv(LabRole.SIDECAR, config, "/cp", run);
        assertEquals(List.of("setsid", "ip", "netns", "exec", "demo-pod", "setpriv", "--reuid=4242", "--regid=4242",
                "--clear-groups"), argv.subList(0, 9));
        assertEquals(List.of(SidecarMain.class.getName(), "15001", "15006", "ipv4,ipv6", "/run/meshcap/lab/demo/tls",
                "/run/meshcap/lab/demo/tls-keys.log"), argv.subList(argv.size() - 6, argv.size()));
        assertTrue(argv.contains(ChildJvm.LAB_PROPERTY + "demo"));
        assertTrue(argv.contains("-Djna.tmpdir=/run/meshcap/lab/demo/sidecar-tmp"), argv::toString);
        List<String> upstream = LabProcesses.argv(LabRole.UPSTREAM, config, "/cp", run);
        assertEquals("demo-mesh", upstream.get(4));
        assertEquals(List.of("upstream", "8080,9080", "/run/meshcap/lab/demo/tls", "mesh",
                "/run/meshcap/lab/demo/tls-keys.log"), upstream.subList(upstream.size() - 5, upstream.size()));
        List<String> app = LabProcesses.argv(LabRole.APP, config, "/cp", run);
        assertEquals(List.of("app", "8080,9080"), app.subList(app.size() - 2, app.size()), "the app is plaintext");
    }

    @Test
    void recordingsAreUnfilteredFullLengthAndImmediate() {
        assertEquals(List.of("ip", "netns", "exec", "demo-pod", "tcpdump", "-i", "lo", "-s", "0", "-B", "32768", "-U",
                "--immediate-mode", "-Z", "root", "-w", "/tmp/lo.pcap"),
                Recording.argv("demo-pod", "lo", Path.of("/tmp/lo.pcap")));
    }
}
