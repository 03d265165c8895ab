package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.ScratchNamespace;
import io.meshcap.testing.Tshark;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-JVM engine's leg from start to end on a scratch namespace's lo, with datagrams of known payloads ("p1",
 * "p2", ...) as the traffic: the packet limit taken from a burst that sits in one ring block, the packets sent just
 * before a stop (and the leg's packet socket closed after it), a running leg's stream readable while it runs and its
 * thread resting while the ring is empty, and libpcap's own reasons when it cannot go on.
 */
class Pcap4jLegTest {

    private static final int PORT = 9999;
    private static final String FILTER = "udp dst port " + PORT;
    /** A classic pcap file header, then per datagram a 16-byte record header and 14 + 20 + 8 + 2 bytes of frame. */
    private static final int FILE_HEADER = 24;
    private static final int RECORD = 16 + 44;

    private ScratchNamespace namespace;
    @TempDir
    Path dir;

    @BeforeEach
    void createNamespace() {
        namespace = ScratchNamespace.create("mcpcap", 65536);
    }

    @AfterEach
    void deleteNamespace() {
        namespace.close();
    }

    @Test
    void aPacketLimitKeepsTheFirstPacketsOfABurstAndEndsTheLeg() throws Exception {
        Path file = dir.resolve("leg.pcap");
        try (Pcap4jCaptureSource source = source(); OutputStream sink = Files.newOutputStream(file)) {
            LegCapture leg = source.start(leg("lo", new CaptureLimits(null, 3, 0, 0)), sink);
            // Sent faster than the 100 ms buffer timeout: libpcap hands the eight over in one block.
            send(1, 8);
            LegCapture.LegOutcome outcome = leg.await(Duration.ofSeconds(60));
            assertNotNull(outcome, "the leg stops by itself after 3 packets");
            assertEquals(new LegCapture.LegOutcome(0, 0, ""), outcome);
        }
        assertEquals(List.of("7031", "7032", "7033"), payloads(file));
    }

    @Test
    void aStopKeepsThePacketsSentJustBeforeIt() throws Exception {
        Path file = dir.resolve("leg.pcap");
        try (Pcap4jCaptureSource source = source(); OutputStream sink = Files.newOutputStream(file)) {
            LegCapture leg = source.start(leg("lo", CaptureLimits.none()), sink);
            assertEquals(1, packetSockets(), "the leg's packet socket, as the namespace's kernel lists it");
            send(1, 5);
            // Before libpcap's buffer timeout hands their block over.
            leg.stop();
            LegCapture.LegOutcome outcome = leg.await(Duration.ofSeconds(60));
            assertNotNull(outcome, "the leg ends after a stop");
            assertEquals(0, outcome.exitCode(), outcome.message());
            assertEquals(0, packetSockets(), "the leg closed its libpcap handle");
        }
        assertEquals(List.of("7031", "7032", "7033", "7034", "7035"), payloads(file));
    }

    @Test
    void aRunningLegWritesWhatItHasWhenTheInterfaceIsQuietAndGoesOn() throws Exception {
        Path file = dir.resolve("leg.pcap");
        try (Pcap4jCaptureSource source = source(); OutputStream sink = Files.newOutputStream(file)) {
            LegCapture leg = source.start(leg("lo", CaptureLimits.none()), sink);
            send(1, 2);
            awaitSize(file, FILE_HEADER + 2 * RECORD);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long thread = captureThread().getId();
            long cpuBefore = threads.getThreadCpuTime(thread);
            long wallBefore = System.nanoTime();
            assertNull(leg.await(Duration.ofMillis(500)), "the leg runs until it is stopped");
            long cpu = threads.getThreadCpuTime(thread) - cpuBefore;
            long wall = System.nanoTime() - wallBefore;
            // Resting 5 ms between looks at an empty ring; a loop that never rests takes all the core it is given.
            assertTrue(cpu < wall / 4, "the idle leg's thread used " + cpu / 1_000_000 + " ms of CPU in "
                    + wall / 1_000_000 + " ms");
            send(3, 2);
            awaitSize(file, FILE_HEADER + 4 * RECORD);
            leg.stop();
            assertNotNull(leg.await(Duration.ofSeconds(60)));
        }
        assertEquals(List.of("7031", "7032", "7033", "7034"), payloads(file));
    }

    @Test
    void anInterfaceThatIsDeletedEndsTheLegWithLibpcapsReason() throws Exception {
        namespace.run("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
        namespace.run("ip", "link", "set", "veth1", "up");
        namespace.run("ip", "link", "set", "veth0", "up");
        try (Pcap4jCaptureSource source = source()) {
            LegCapture leg = source.start(leg("veth0", CaptureLimits.none()), OutputStream.nullOutputStream());
            namespace.run("ip", "link", "del", "veth0");
            LegCapture.LegOutcome outcome = leg.await(Duration.ofSeconds(60));
            assertNotNull(outcome, "the leg ends when its interface is deleted");
            assertEquals(new LegCapture.LegOutcome(1, 0, "leg " + namespace.name()
                    + "/veth0:inbound-plain: The interface disappeared"), outcome);
        }
    }

    @Test
    void anInterfaceThatIsNotThereIsRefusedInLibpcapsWords() throws Exception {
        try (Pcap4jCaptureSource source = source()) {
            MeshcapException refused = assertThrows(MeshcapException.class,
                    () -> source.start(leg("eth9", CaptureLimits.none()), OutputStream.nullOutputStream()));
            assertEquals("leg " + namespace.name() + "/eth9:inbound-plain: libpcap cannot capture on eth9: No such"
                    + " device exists (capturing needs root, or CAP_NET_RAW and CAP_NET_ADMIN)",
                    refused.getMessage());
        }
    }

    private Pcap4jCaptureSource source() {
        return new Pcap4jCaptureSource(NetworkNamespace.named(namespace.name()));
    }

    private LegPlan leg(String interfaceName, CaptureLimits limits) {
        return new LegPlan(namespace.name(), interfaceName, "inbound-plain", FILTER, false, limits, Map.of());
    }

    /** Sends datagrams "p{first}" to "p{first + count - 1}" to 127.0.0.1:PORT over the namespace's lo. */
    private void send(int first, int count) throws Exception {
        try (NamespaceThread inside = NamespaceThread.enter(NetworkNamespace.named(namespace.name()))) {
            inside.call(() -> {
                try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                    for (int i = first; i < first + count; i++) {
                        byte[] payload = ("p" + i).getBytes(StandardCharsets.US_ASCII);
                        socket.send(new DatagramPacket(payload, payload.length, socket.getLocalAddress(), PORT));
                    }
                }
                return null;
            });
        }
    }

    /** The packet sockets open in the namespace, from its kernel's own list (/proc/net/packet seen from inside). */
    private int packetSockets() throws Exception {
        try (NamespaceThread inside = NamespaceThread.enter(NetworkNamespace.named(namespace.name()))) {
            return inside.call(() -> Files.readAllLines(Path.of("/proc/thread-self/net/packet")).size() - 1);
        }
    }

    /** The in-JVM engine's capture thread of this test's one leg. */
    private Thread captureThread() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("meshcap-pcap4j-" + namespace.name() + "/lo:inbound-plain"))
                .findFirst().orElseThrow(() -> new AssertionError("no capture thread"));
    }

    private static List<String> payloads(Path file) {
        return Tshark.fields(file, "", "data.data").stream().map(row -> row.get(0)).toList();
    }

    private static void awaitSize(Path file, long size) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Files.size(file) != size) {
            assertTrue(Files.size(file) < size && Instant.now().isBefore(deadline),
                    "expected " + size + " bytes in the leg's stream, got " + Files.size(file));
            Thread.sleep(20);
        }
    }
}
