package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.OpensslTls;
import io.meshcap.testing.Tshark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key logs into merged files and out again, judged by tshark with no decryption settings at all: a TLS 1.3 capture
 * and key log made by OpenSSL (independent of meshcap) decrypt once merged with {@code --tls-keylog}, each key line
 * is written once, malformed lines are named and skipped, {@code --strip-secrets} gives a copy that no longer
 * decrypts, and pcap output is refused.
 */
class MergeSecretsTest {

    private static final int CALLS = 3;

    @TempDir
    static Path dir;

    private static OpensslTls.Recorded tls;
    /** The key lines OpenSSL wrote, each once, in order. */
    private static List<String> keyLines;

    @BeforeAll
    static void recordTls() throws Exception {
        tls = OpensslTls.record(dir, CALLS);
        keyLines = Files.readAllLines(tls.keyLog()).stream().filter(line -> !line.startsWith("#")).distinct().toList();
        assertEquals(5 * CALLS, keyLines.size(), "TLS 1.3: five secrets per connection");
        assertEquals(List.of(), requestUris(tls.capture()), "without keys nothing decrypts");
    }

    private static List<String> requestUris(Path file) {
        return Tshark.fields(file, "http.request", "http.request.uri").stream().map(row -> row.get(0)).toList();
    }

    /** Every Decryption Secrets Block's key log text, as Wireshark's pcapng file dissector reads it. */
    private static List<String> secretsBlocks(Path file) {
        String data = Tshark.run("tshark", "-n", "-r", file.toString(), "-X", "read_format:MIME Files Format",
                "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "pcapng.dsb.secrets_data").strip();
        List<String> blocks = new ArrayList<>();
        if (!data.isEmpty()) {
            for (String hex : data.split("\\|")) {
                blocks.add(new String(HexFormat.of().parseHex(hex.replace(":", "")), StandardCharsets.US_ASCII));
            }
        }
        return blocks;
    }

    private static String secretsCount(Path file) {
        return Tshark.run("capinfos", file.toString()).lines().filter(line -> line.contains("decryption secrets"))
                .findFirst().orElse("").replaceAll("\\s+", " ").strip();
    }

    @Test
    void aMergedCaptureWithItsKeyLogDecryptsWithNoSettings() throws Exception {
        Path out = dir.resolve("decrypted.pcapng");
        CliRun run = CliRun.of("merge", "--tls-keylog", tls.keyLog().toString(), tls.capture().toString(),
                "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(tls.requests(), requestUris(out));
        assertEquals("Number of decryption secrets in file: 1", secretsCount(out));
        assertEquals(List.of(String.join("\n", keyLines) + "\n"), secretsBlocks(out), "the keys, before the packets");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertTrue(run.err().contains("meshcap: " + out + " holds " + keyLines.size() + " TLS key log lines: anyone"
                + " who has it can read the encrypted connections in it, so it is readable by its owner only"
                + " (mode 0600)"), run.err());
        assertTrue(run.err().contains("meshcap merge --strip-secrets"), run.err());
    }

    @Test
    void eachKeyLineIsWrittenOnceAndMalformedLinesAreNamedAndSkipped() throws Exception {
        Path again = dir.resolve("upper-case-copy.log");
        List<String> messy = new ArrayList<>(List.of("# a copy with problems"));
        messy.add(keyLines.get(0).toUpperCase());
        messy.add("CLIENT_TRAFFIC_SECRET_0 not-hex");
        messy.add("NOT_A_LABEL " + "ab".repeat(32) + " " + "cd".repeat(32));
        messy.addAll(keyLines);
        Files.write(again, messy);
        Path out = dir.resolve("deduplicated.pcapng");
        CliRun run = CliRun.of("merge", "--tls-keylog", tls.keyLog().toString(), "--tls-keylog", again.toString(),
                tls.capture().toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of(String.join("\n", keyLines) + "\n"), secretsBlocks(out));
        assertEquals(tls.requests(), requestUris(out));
        assertTrue(run.err().contains("meshcap: warning: " + again + ": line 3: expected LABEL CLIENT_RANDOM SECRET,"
                + " found 2 fields; skipped"), run.err());
        assertTrue(run.err().contains("meshcap: warning: " + again + ": line 4: unknown label NOT_A_LABEL; skipped"),
                run.err());
        assertTrue(run.err().contains(" holds " + keyLines.size() + " TLS key log lines"), run.err());

        Path twice = dir.resolve("merged-again.pcapng");
        CliRun rerun = CliRun.of("merge", "--tls-keylog", tls.keyLog().toString(), out.toString(),
                "-o", twice.toString());
        assertEquals(0, rerun.exitCode(), rerun::toString);
        assertEquals(List.of(String.join("\n", keyLines) + "\n"), secretsBlocks(twice),
                "the input's own block held only lines already written, so it is left out");
        assertTrue(rerun.err().contains("(" + keyLines.size() + " repeated lines written once)"), rerun.err());
    }

    @Test
    void stripSecretsWritesACopyThatNoLongerDecrypts() throws Exception {
        Path withKeys = dir.resolve("with-keys.pcapng");
        assertEquals(0, CliRun.of("merge", "--tls-keylog", tls.keyLog().toString(), tls.capture().toString(),
                "-o", withKeys.toString()).exitCode());
        Path shared = dir.resolve("shared.pcapng");
        CliRun run = CliRun.of("merge", "--strip-secrets", withKeys.toString(), "-o", shared.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("meshcap: left out 1 decryption secrets block (--strip-secrets): " + shared
                + " holds no keys"), run.err());
        assertEquals("", secretsCount(shared), "capinfos counts no decryption secrets");
        assertEquals(List.of(), secretsBlocks(shared));
        assertEquals(List.of(), requestUris(shared));
        assertEquals(Tshark.capinfosCount(tls.capture()), Tshark.capinfosCount(shared), "every packet is kept");
    }

    @Test
    void pcapOutputWithAKeyLogIsRefusedBeforeAnythingIsWritten() {
        Path out = dir.resolve("refused.pcap");
        CliRun run = CliRun.of("merge", "--tls-keylog", tls.keyLog().toString(), "--format", "pcap",
                tls.capture().toString(), "-o", out.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("meshcap: --tls-keylog needs pcapng output: a pcap file cannot hold decryption secrets; drop"
                + " --format pcap\n", run.err());
        assertFalse(Files.exists(out));
        CliRun both = CliRun.of("merge", "--tls-keylog", tls.keyLog().toString(), "--strip-secrets",
                tls.capture().toString(), "-o", out.toString());
        assertEquals(2, both.exitCode(), both::toString);
        CliRun missing = CliRun.of("merge", "--tls-keylog", dir.resolve("nope.log").toString(),
                tls.capture().toString(), "-o", out.toString());
        assertEquals(1, missing.exitCode(), missing::toString);
        assertEquals("meshcap: " + dir.resolve("nope.log") + ": no such key log file\n", missing.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void reassociateTakesAKeyLogToo() throws Exception {
        Path out = dir.resolve("reassociated.pcapng");
        CliRun run = CliRun.of("reassociate", "--tls-keylog", tls.keyLog().toString(), tls.capture().toString(),
                "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(tls.requests(), requestUris(out));
        assertTrue(run.err().contains(" holds " + keyLines.size() + " TLS key log lines"), run.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }
}
