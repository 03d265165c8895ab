package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What meshcap writes, read back by tshark, capinfos, tcpdump and editcap, and by meshcap itself. */
class WriterRoundTripTest {

    private static final long BASE = 1_795_333_790_123_456_789L;

    @TempDir
    Path dir;

    private static final List<CaptureInterface> INTERFACES = List.of(
            new CaptureInterface(LinkType.EN10MB, 262144, "reviews-v1-abc/eth0",
                    "namespace=bookinfo pod=reviews-v1-abc node=n1 container=istio-proxy interface=eth0 "
                            + "point=before-netfilter filter=tcp port 9080"),
            new CaptureInterface(LinkType.LINUX_SLL, 65535, "reviews-v1-abc/lo", "lo leg, ünïcode"),
            new CaptureInterface(LinkType.RAW, 0, "raw", null));

    /** Records over all interfaces with sizes 0..67 (every padding), some truncated, some commented. */
    private static List<CaptureRecord> records() {
        Random random = new Random(42);
        List<CaptureRecord> records = new ArrayList<>();
        for (int i = 0; i < 68; i++) {
            byte[] data = new byte[i];
            random.nextBytes(data);
            int original = i % 5 == 0 ? i + 1000 : i;
            String comment = i % 3 == 0 ? "meshcap: rewrote 127.0.0.1:15001 -> 10.0.0." + i + ":8080" : null;
            CaptureRecord record = new CaptureRecord(i % 3, BASE + i * 1_000_003L, original, data);
            records.add(comment == null ? record : record.plusComment(comment));
        }
        return records;
    }

    private Path writePcapng(String name) {
        Path file = dir.resolve(name);
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, "meshcap test")) {
            for (CaptureInterface i : INTERFACES) {
                writer.addInterface(i);
            }
            records().forEach(writer::write);
        }
        return file;
    }

    @Test
    void tsharkReadsEveryFieldOfPcapngAsWritten() {
        Path file = writePcapng("out.pcapng");
        List<Tshark.Frame> frames = Tshark.frames(file);
        List<CaptureRecord> expected = records();
        assertEquals(expected.size(), frames.size());
        assertEquals(expected.size(), Tshark.capinfosCount(file));
        for (int i = 0; i < expected.size(); i++) {
            CaptureRecord record = expected.get(i);
            Tshark.Frame frame = frames.get(i);
            CaptureInterface iface = INTERFACES.get(record.interfaceId());
            assertEquals(iface.name(), frame.interfaceName(), "packet " + i);
            assertEquals(iface.description(), frame.interfaceDescription(), "packet " + i);
            assertEquals(record.timestampNanos(), frame.timestampNanos(), "packet " + i);
            assertEquals(record.originalLength(), frame.originalLength(), "packet " + i);
            assertEquals(record.capturedLength(), frame.capturedLength(), "packet " + i);
            assertEquals(ReadBack.comment(record), frame.comment(), "packet " + i);
        }
        assertTrue(Tshark.run("capinfos", file.toString()).contains("Capture application: meshcap test"));
    }

    @Test
    void meshcapReadsBackWhatItWrote() {
        Path file = writePcapng("out.pcapng");
        List<CaptureRecord> expected = records();
        List<CaptureRecord> actual = ReadBack.readAll(file);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertSameRecord(expected.get(i), actual.get(i));
        }
        assertEquals(INTERFACES, ReadBack.interfaces(file));
    }

    @Test
    void filesAreOwnerOnlyEvenWhenReplacingAReadableFile() throws IOException {
        Path file = dir.resolve("existing.pcapng");
        Files.writeString(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        writePcapng("existing.pcapng");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Path fresh = writePcapng("fresh.pcapng");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
    }

    @Test
    void aNamedPipeKeepsItsModeAndGetsTheCapture() throws Exception {
        Path fifo = dir.resolve("wireshark.fifo");
        Tshark.run("mkfifo", "-m", "644", fifo.toString());
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (CaptureWriter writer = CaptureFormats.create(fifo, OutputFormat.PCAPNG, "meshcap test")) {
            writer.addInterface(INTERFACES.get(0));
            writer.write(records().get(0));
        }
        Path copy = Files.write(dir.resolve("from-fifo.pcapng"), received.get(30, TimeUnit.SECONDS));
        assertEquals(1, Tshark.capinfosCount(copy));
        assertEquals("rw-r--r--", permissions(fifo));
    }

    @Test
    void decryptionSecretsBlocksAreRecognisedByEditcapBeforeAndBetweenPackets() {
        Path file = dir.resolve("secrets.pcapng");
        byte[] keyLog = "CLIENT_RANDOM 00 112\n".getBytes(StandardCharsets.US_ASCII); // 21 bytes: padding needed
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, "meshcap test")) {
            writer.addInterface(INTERFACES.get(0));
            writer.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG, keyLog));
            writer.write(records().get(0));
            writer.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG, keyLog));
            writer.write(records().get(3));
        }
        Path kept = dir.resolve("kept.pcapng");
        Path discarded = dir.resolve("discarded.pcapng");
        Tshark.run("editcap", file.toString(), kept.toString());
        Tshark.run("editcap", "--discard-all-secrets", file.toString(), discarded.toString());
        // Editcap dropped exactly two blocks of 8 header + 8 fixed + 24 padded secrets + 4 trailer bytes.
        assertEquals(2 * 44, size(kept) - size(discarded));
        assertTrue(Tshark.run("capinfos", file.toString()).contains("Number of decryption secrets in file: 2"));
        assertEquals(2, ReadBack.readAll(file).size());
    }

    /** Keys known before any leg is added: the section header still goes first, as every pcapng file must start. */
    @Test
    void secretsWrittenBeforeAnyInterfaceFollowTheSectionHeader() {
        Path file = dir.resolve("keys-first.pcapng");
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, "meshcap test")) {
            writer.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG,
                    "CLIENT_RANDOM 00 11\n".getBytes(StandardCharsets.US_ASCII)));
            writer.addInterface(INTERFACES.get(0));
            writer.write(records().get(0));
        }
        String capinfos = Tshark.run("capinfos", file.toString());
        assertTrue(capinfos.contains("Number of decryption secrets in file: 1"), capinfos);
        assertTrue(capinfos.matches("(?s).*Number of packets: +1\n.*"), capinfos);
    }

    @Test
    void pcapOutputKeepsNanosecondsForTsharkAndTcpdump() {
        Path file = dir.resolve("out.pcap");
        List<CaptureRecord> written = records().stream()
                // tcpdump prints nothing for an empty packet, so every packet here has data.
                .filter(r -> r.interfaceId() == 0 && r.capturedLength() > 0)
                .map(r -> new CaptureRecord(r.interfaceId(), r.timestampNanos(), r.originalLength(), r.data())).toList();
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, "meshcap test")) {
            writer.addInterface(INTERFACES.get(0));
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 1500, "second", null));
            written.forEach(writer::write);
        }
        List<Tshark.Frame> frames = Tshark.frames(file);
        assertEquals(written.size(), frames.size());
        for (int i = 0; i < written.size(); i++) {
            assertEquals(written.get(i).timestampNanos(), frames.get(i).timestampNanos());
            assertEquals(written.get(i).originalLength(), frames.get(i).originalLength());
            assertEquals(written.get(i).capturedLength(), frames.get(i).capturedLength());
            assertSameRecord(written.get(i), ReadBack.readAll(file).get(i));
        }
        String tcpdump = Tshark.run("tcpdump", "-r", file.toString(), "-nn", "-tt", "--time-stamp-precision", "nano");
        // tcpdump may continue a packet on further lines; each packet starts with its time.
        List<String> lines = tcpdump.lines().filter(l -> l.matches("^\\d+\\.\\d{9}( .*)?$")).toList();
        assertEquals(written.size(), lines.size(), tcpdump);
        long first = written.get(0).timestampNanos();
        assertTrue(lines.get(0).startsWith(first / 1_000_000_000L + "." + String.format("%09d", first % 1_000_000_000L)),
                lines.get(0));
        assertEquals("rw-------", permissions(file));
    }

    @Test
    void pcapOutputRefusesASecondLinkType() {
        try (CaptureWriter writer = CaptureFormats.create(dir.resolve("x.pcap"), OutputFormat.PCAP, "t")) {
            writer.addInterface(INTERFACES.get(0));
            MeshcapException mixed = assertThrows(MeshcapException.class, () -> writer.addInterface(INTERFACES.get(1)));
            assertEquals(MeshcapException.Kind.USAGE, mixed.kind());
            assertTrue(mixed.getMessage().contains("EN10MB (1) and LINUX_SLL (113)"), mixed.getMessage());
        }
    }

    /** Ids from 0 in the order interfaces are added; a record on an id not handed out is the caller's mistake. */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void interfacesAreNumberedFromZeroAndARecordOnAnotherIsRefused(OutputFormat format) {
        Path file = dir.resolve("ids." + format.name().toLowerCase(Locale.ROOT));
        try (CaptureWriter writer = CaptureFormats.create(file, format, "t")) {
            assertEquals(0, writer.addInterface(INTERFACES.get(0)));
            assertEquals(1, writer.addInterface(new CaptureInterface(LinkType.EN10MB, 1500, "second", null)));
            writer.write(new CaptureRecord(1, BASE, 3, new byte[] {1, 2, 3}));
            for (int id : new int[] {2, -1}) {
                assertThrows(IllegalArgumentException.class,
                        () -> writer.write(new CaptureRecord(id, BASE, 3, new byte[] {1, 2, 3})), "interface " + id);
            }
        }
        assertEquals(1, Tshark.capinfosCount(file));
    }

    @Test
    void commentsAreDroppedInPcap() {
        Path file = dir.resolve("c.pcap");
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, "t")) {
            writer.addInterface(INTERFACES.get(0));
            writer.write(new CaptureRecord(0, BASE, 3, new byte[] {1, 2, 3}).plusComment("dropped"));
        }
        assertNull(Tshark.frames(file).get(0).comment());
        assertEquals(List.of(), ReadBack.readAll(file).get(0).comments());
    }

    /** Blocks of lengths that are not a multiple of four, with options, between packets: each one read back whole. */
    @Test
    void secretsAndCustomBlocksOfAnyLengthKeepTheirOptionsAndThePacketsAfterThem() {
        Path file = dir.resolve("odd-blocks.pcapng");
        byte[] keyLog = "CLIENT_RANDOM 00 1\n".getBytes(StandardCharsets.US_ASCII); // 19 bytes
        byte[] custom = {0, 0, 0x7e, (byte) 0xd9, 42}; // a private enterprise number and one byte of data
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, "meshcap test")) {
            writer.addInterface(INTERFACES.get(0));
            writer.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG, keyLog,
                    RawOptions.NONE.plus(RawOptions.COMMENT, "keys of the test")));
            writer.write(new OpaqueBlock(0x00000bad, custom));
            writer.write(records().get(0));
        }
        List<CaptureBlock> blocks = ReadBack.blocks(file);
        assertEquals(3, blocks.size(), blocks::toString);
        DecryptionSecrets secrets = (DecryptionSecrets) blocks.get(0);
        assertArrayEquals(keyLog, secrets.secrets());
        assertEquals(List.of("keys of the test"), secrets.options().strings(RawOptions.COMMENT));
        // A custom block's data has no length of its own: it is read back with the padding to four bytes.
        assertArrayEquals(Arrays.copyOf(custom, 8), ((OpaqueBlock) blocks.get(1)).body());
        assertSameRecord(records().get(0), (CaptureRecord) blocks.get(2));
        assertEquals(1, Tshark.capinfosCount(file));
    }

    @Test
    void statisticsOfAnUnknownInterfaceAreAProgrammingError() {
        try (CaptureWriter writer = CaptureFormats.create(dir.resolve("s.pcapng"), OutputFormat.PCAPNG, "t")) {
            writer.addInterface(INTERFACES.get(0));
            assertThrows(IllegalArgumentException.class,
                    () -> writer.write(new InterfaceStatistics(1, 0, RawOptions.NONE)));
        }
    }

    static void assertSameRecord(CaptureRecord expected, CaptureRecord actual) {
        assertEquals(expected.interfaceId(), actual.interfaceId());
        assertEquals(expected.timestampNanos(), actual.timestampNanos());
        assertEquals(expected.originalLength(), actual.originalLength());
        assertArrayEquals(expected.data(), actual.data());
        assertEquals(expected.comments(), actual.comments());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String permissions(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
