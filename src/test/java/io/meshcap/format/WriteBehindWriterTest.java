package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing on a thread of its own gives the file writing directly gives, byte for byte, with interfaces and other
 * blocks between the packets and batches; what the writer behind refuses reaches the caller; the thread ends.
 */
class WriteBehindWriterTest {

    @TempDir
    Path dir;

    /** Several batches of packets, an interface added between them, secrets and statistics on the way. */
    private static void capture(CaptureWriter writer) {
        writer.describeSection(new SectionInfo(List.of("two legs"), null, null));
        writer.addInterface(new CaptureInterface(LinkType.EN10MB, 262_144, "eth0", "pod-ips=198.18.0.2"));
        for (int i = 0; i < 2000; i++) {
            if (i == 700) {
                assertEquals(1, writer.addInterface(new CaptureInterface(LinkType.RAW, 65_535, "lo", null)));
                writer.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG,
                        "CLIENT_RANDOM 00 11\n".getBytes(StandardCharsets.US_ASCII), RawOptions.NONE));
            }
            byte[] data = new byte[1 + i % 90];
            data[0] = (byte) i;
            CaptureRecord record = new CaptureRecord(i < 700 ? 0 : 1, 1_795_330_000_000_000_000L + i * 1000L,
                    data.length + 4, data);
            writer.write(i % 11 == 0 ? record.plusComment("packet " + i) : record);
            if (i == 1500) {
                writer.write(new InterfaceStatistics(0, 1_795_330_000_000_000_000L + i * 1000L, RawOptions.NONE));
            }
        }
    }

    private byte[] written(String name, OutputFormat format, Consumer<CaptureWriter> body) throws IOException {
        Path file = dir.resolve(name);
        try (CaptureWriter writer = CaptureFormats.create(file, format, "meshcap test")) {
            body.accept(writer);
        }
        return Files.readAllBytes(file);
    }

    @Test
    void theFileIsTheOneWritingDirectlyGivesByteForByte() throws IOException {
        for (OutputFormat format : OutputFormat.values()) {
            byte[] direct = written("direct", format, writer -> {
                if (format == OutputFormat.PCAP) {
                    writer.addInterface(new CaptureInterface(LinkType.EN10MB, 262_144, "eth0", null));
                    writer.write(new CaptureRecord(0, 1_000_000L, 5, new byte[] {1, 2, 3}));
                } else {
                    capture(writer);
                }
            });
            byte[] behind = written("behind", format, writer -> CaptureFormats.writingBehind(writer, "behind", w -> {
                if (format == OutputFormat.PCAP) {
                    w.addInterface(new CaptureInterface(LinkType.EN10MB, 262_144, "eth0", null));
                    w.write(new CaptureRecord(0, 1_000_000L, 5, new byte[] {1, 2, 3}));
                } else {
                    capture(w);
                }
                return null;
            }));
            assertTrue(direct.length > (format == OutputFormat.PCAP ? 40 : 100_000), format + ": " + direct.length);
            assertArrayEquals(direct, behind, format.toString());
        }
    }

    @Test
    void aBlockTheWriterBehindRefusesReachesTheCallerAndTheThreadEnds() throws IOException {
        String destination = dir.resolve("refused").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> written("refused", OutputFormat.PCAPNG, writer -> CaptureFormats.writingBehind(writer,
                        destination, w -> {
                            w.addInterface(new CaptureInterface(LinkType.RAW, 65_535, "lo", null));
                            for (int i = 0; i < 1000; i++) {
                                w.write(new CaptureRecord(i == 600 ? 3 : 0, 1_000L * i, 1, new byte[1]));
                            }
                            return null;
                        })));
        assertEquals("interface 3 was not added", e.getMessage());
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("meshcap-write-behind " + destination) && t.isAlive()));
    }

    @Test
    void anInterfaceTheFormatCannotHoldIsRefusedWhereItIsAdded() throws IOException {
        String[] refusal = new String[1];
        written("two-link-types.pcap", OutputFormat.PCAP, writer -> CaptureFormats.writingBehind(writer,
                "two-link-types", w -> {
                    w.addInterface(new CaptureInterface(LinkType.EN10MB, 262_144, "eth0", null));
                    w.write(new CaptureRecord(0, 1_000L, 1, new byte[1]));
                    refusal[0] = assertThrows(MeshcapException.class,
                            () -> w.addInterface(new CaptureInterface(LinkType.RAW, 65_535, "lo", null))).getMessage();
                    return null;
                }));
        assertTrue(refusal[0].contains("pcap"), refusal[0]);
    }
}
