package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.net.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab's pure parts: config checks, address text, sockaddr layout, report line, ledger JSON, argv. */
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
        assertEquals(report, ServerReport.parse(report.line()));
        assertThrows(IllegalArgumentException.class, () -> ServerReport.parse("HTTP/1.1 200 OK"));
    }

    @Test
    void ledgerJsonRoundTrips() {
        LedgerEntry entry = new LedgerEntry(1, LedgerEntry.Kind.OUTBOUND, "ipv4", 8080,
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
        List<String> argv = LabProcesses.argv(LabRole.SIDECAR, config, "/cp", Path.of("/scratch"));
        assertEquals(List.of("setsid", "ip", "netns", "exec", "demo-pod", "setpriv", "--reuid=4242", "--regid=4242",
                "--clear-groups"), argv.subList(0, 9));
        assertEquals(List.of(SidecarMain.class.getName(), "15001", "15006", "ipv4,ipv6"),
                argv.subList(argv.size() - 4, argv.size()));
        assertTrue(argv.contains(ChildJvm.LAB_PROPERTY + "demo"));
        List<String> upstream = LabProcesses.argv(LabRole.UPSTREAM, config, "/cp", Path.of("/scratch"));
        assertEquals("demo-mesh", upstream.get(4));
        assertEquals(List.of("upstream", "8080,9080"), upstream.subList(upstream.size() - 2, upstream.size()));
    }

    @Test
    void recordingsAreUnfilteredFullLengthAndImmediate() {
        assertEquals(List.of("ip", "netns", "exec", "demo-pod", "tcpdump", "-i", "lo", "-s", "0", "-B", "32768", "-U",
                "--immediate-mode", "-Z", "root", "-w", "/tmp/lo.pcap"),
                Recording.argv("demo-pod", "lo", Path.of("/tmp/lo.pcap")));
    }
}
