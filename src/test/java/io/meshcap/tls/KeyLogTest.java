package io.meshcap.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyLogTest {

    private static final String RANDOM_A = "a1".repeat(32);
    private static final String RANDOM_B = "b2".repeat(32);
    private static final String SECRET_32 = "0f".repeat(32);
    private static final String SECRET_48 = "3c".repeat(48);

    private static KeyLog parse(String text) {
        return KeyLog.parse("keys.log", text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void readsTls13AndTls12LinesAndSkipsCommentsAndBlankLines() {
        KeyLog keys = parse("# written by a test\r\n"
                + "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + RANDOM_A + " " + SECRET_32 + "\r\n"
                + "\n"
                + "SERVER_TRAFFIC_SECRET_0 " + RANDOM_A + " " + SECRET_48 + "\n"
                + "CLIENT_RANDOM " + RANDOM_B + " " + SECRET_48 + "\n");
        assertEquals(List.of(), keys.problems());
        assertEquals(3, keys.size());
        assertTrue(keys.hasKeysFor(RANDOM_A.toUpperCase()));
        assertTrue(keys.hasKeysFor(RANDOM_B));
        assertFalse(keys.hasKeysFor("c3".repeat(32)));
        assertArrayEquals(HexFormat.of().parseHex(SECRET_48),
                keys.secret(KeyLog.SERVER_TRAFFIC_SECRET_0, RANDOM_A).orElseThrow());
        assertTrue(keys.secret(KeyLog.CLIENT_TRAFFIC_SECRET_0, RANDOM_A).isEmpty());
    }

    @Test
    void normalisesHexCaseAndSpacingSoTheSameKeyIsKeptOnce() {
        KeyLog keys = parse("EXPORTER_SECRET " + RANDOM_A.toUpperCase() + " " + SECRET_32 + "\n"
                + "EXPORTER_SECRET  " + RANDOM_A + "\t" + SECRET_32.toUpperCase() + "\n"
                + "EXPORTER_SECRET " + RANDOM_A + " " + SECRET_32 + "\n");
        assertEquals(1, keys.size());
        assertEquals("EXPORTER_SECRET " + RANDOM_A + " " + SECRET_32 + "\n",
                new String(keys.toBytes(), StandardCharsets.US_ASCII));
    }

    @Test
    void malformedLinesAreReportedWithTheirLineNumberAndSkipped() {
        KeyLog keys = parse("CLIENT_TRAFFIC_SECRET_0 " + RANDOM_A + " " + SECRET_32 + "\n"
                + "CLIENT_TRAFFIC_SECRET_0 " + RANDOM_A + "\n"
                + "SOMETHING_ELSE " + RANDOM_A + " " + SECRET_32 + "\n"
                + "CLIENT_TRAFFIC_SECRET_0 abcd " + SECRET_32 + "\n"
                + "CLIENT_TRAFFIC_SECRET_0 " + RANDOM_B + " " + "0f".repeat(20) + "\n"
                + "CLIENT_RANDOM " + RANDOM_B + " " + "zz".repeat(48) + "\n"
                + "SERVER_TRAFFIC_SECRET_0 " + RANDOM_A + " " + SECRET_32 + "\n");
        assertEquals(2, keys.size(), "the good first and last lines");
        assertEquals(List.of(
                "keys.log: line 2: expected LABEL CLIENT_RANDOM SECRET, found 2 fields; skipped",
                "keys.log: line 3: unknown label SOMETHING_ELSE; skipped",
                "keys.log: line 4: the client random must be 64 hex digits, found abcd; skipped",
                "keys.log: line 5: the secret of a CLIENT_TRAFFIC_SECRET_0 line must be 64 or 96 hex digits,"
                        + " found 40; skipped",
                "keys.log: line 6: the secret must be hex bytes, found zzzzzzzzzzzzzzzzzzzzzzzz...; skipped"),
                keys.problems().stream().map(KeyLog.Problem::describe).toList());
        assertFalse(keys.hasKeysFor(RANDOM_B));
    }

    @Test
    void plusKeepsEveryKeyOnceInTheOrderFirstSeenAndBothLogsProblems() {
        KeyLog first = parse("EXPORTER_SECRET " + RANDOM_A + " " + SECRET_32 + "\nbroken\n");
        KeyLog second = KeyLog.parse("other.log", ("CLIENT_RANDOM " + RANDOM_B + " " + SECRET_48 + "\n"
                + "EXPORTER_SECRET " + RANDOM_A + " " + SECRET_32 + "\n").getBytes(StandardCharsets.US_ASCII));
        KeyLog both = first.plus(second);
        assertEquals(List.of("EXPORTER_SECRET " + RANDOM_A + " " + SECRET_32,
                "CLIENT_RANDOM " + RANDOM_B + " " + SECRET_48),
                both.entries().stream().map(KeyLog.Entry::text).toList());
        assertEquals(List.of("keys.log: line 2: expected LABEL CLIENT_RANDOM SECRET, found 1 field; skipped"),
                both.problems().stream().map(KeyLog.Problem::describe).toList());
        assertTrue(both.contains(second.entries().get(0)));
        assertTrue(KeyLog.empty().plus(both).contains(first.entries().get(0)));
    }

    @Test
    void oneLineIsAKeyOrNothing() {
        assertEquals(new KeyLog.Entry("EXPORTER_SECRET", RANDOM_A, SECRET_32),
                KeyLog.entry("EXPORTER_SECRET " + RANDOM_A.toUpperCase() + " " + SECRET_32 + "\r\n").orElseThrow());
        assertTrue(KeyLog.entry("# comment").isEmpty());
        assertTrue(KeyLog.entry("").isEmpty());
        assertTrue(KeyLog.entry("CLIENT_RANDOM aa bb").isEmpty());
    }

    @Test
    void anRsaLineIsKeyedByTheEncryptedPreMasterSecretsFirstEightBytes() {
        KeyLog keys = parse("RSA 0011223344556677 " + SECRET_48 + "\n");
        assertEquals(List.of(), keys.problems());
        assertTrue(keys.hasKeysFor("0011223344556677"));
    }

    @Test
    void readingAMissingFileSaysSo(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.log");
        MeshcapException e = assertThrows(MeshcapException.class,
                () -> KeyLog.read(missing));
        assertEquals(missing + ": no such key log file", e.getMessage());
        Path file = dir.resolve("keys.log");
        Files.writeString(file, "CLIENT_RANDOM " + RANDOM_B + " " + SECRET_48 + "\n");
        assertEquals(1, KeyLog.read(file).size());
    }
}
