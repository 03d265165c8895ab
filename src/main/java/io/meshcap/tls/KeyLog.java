package io.meshcap.tls;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * TLS secrets in the NSS key log format, the one Envoy's {@code key_log}, OpenSSL's {@code -keylogfile}, browsers'
 * {@code SSLKEYLOGFILE} and Wireshark use: one secret per line, {@code LABEL CLIENT_RANDOM SECRET} in hex, {@code #}
 * comments. Lines are normalised (lower-case hex, single spaces), kept once each in the order first seen, and indexed
 * by client random so a connection's ClientHello tells whether it can be decrypted.
 *
 * <p>A line that is not a key (a wrong field count, an unknown label, hex of the wrong length) is not fatal: it is
 * kept out and reported as a {@link Problem} naming its source and line number, as Wireshark would skip it.
 *
 * <pre>{@code
 * KeyLog keys = KeyLog.read(Path.of("keys.log")).plus(KeyLog.parse("a DSB", dsbBytes));
 * keys.problems().forEach(p -> System.err.println("meshcap: warning: " + p.describe()));
 * keys.secret(KeyLog.CLIENT_TRAFFIC_SECRET_0, clientRandomHex).ifPresent(...);
 * }</pre>
 */
public final class KeyLog {

    public static final String CLIENT_RANDOM = "CLIENT_RANDOM";
    public static final String CLIENT_EARLY_TRAFFIC_SECRET = "CLIENT_EARLY_TRAFFIC_SECRET";
    public static final String CLIENT_HANDSHAKE_TRAFFIC_SECRET = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    public static final String SERVER_HANDSHAKE_TRAFFIC_SECRET = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    public static final String CLIENT_TRAFFIC_SECRET_0 = "CLIENT_TRAFFIC_SECRET_0";
    public static final String SERVER_TRAFFIC_SECRET_0 = "SERVER_TRAFFIC_SECRET_0";
    public static final String EARLY_EXPORTER_SECRET = "EARLY_EXPORTER_SECRET";
    public static final String EXPORTER_SECRET = "EXPORTER_SECRET";

    /** Hex digits of a client random (32 bytes). */
    public static final int CLIENT_RANDOM_HEX = 64;
    /** Hex digits of the first 8 bytes of an RSA-encrypted pre-master secret, which RSA lines are keyed by. */
    private static final int RSA_KEY_HEX = 16;
    /** A TLS 1.2 master secret or pre-master secret: 48 bytes. */
    private static final List<Integer> MASTER_SECRET_HEX = List.of(96);
    /** TLS 1.3 secrets are as long as the suite's hash: SHA-256 or SHA-384. */
    private static final List<Integer> TLS13_SECRET_HEX = List.of(64, 96);

    /**
     * Every label of the key log format (draft-ietf-tls-keylogfile, and what Wireshark reads), with the hex lengths
     * its secret may have; an empty list means any even length.
     */
    private static final Map<String, List<Integer>> LABELS = Map.ofEntries(
            Map.entry(CLIENT_RANDOM, MASTER_SECRET_HEX),
            Map.entry("RSA", MASTER_SECRET_HEX),
            Map.entry("PMS_CLIENT_RANDOM", MASTER_SECRET_HEX),
            Map.entry(CLIENT_EARLY_TRAFFIC_SECRET, TLS13_SECRET_HEX),
            Map.entry(CLIENT_HANDSHAKE_TRAFFIC_SECRET, TLS13_SECRET_HEX),
            Map.entry(SERVER_HANDSHAKE_TRAFFIC_SECRET, TLS13_SECRET_HEX),
            Map.entry(CLIENT_TRAFFIC_SECRET_0, TLS13_SECRET_HEX),
            Map.entry(SERVER_TRAFFIC_SECRET_0, TLS13_SECRET_HEX),
            Map.entry(EARLY_EXPORTER_SECRET, TLS13_SECRET_HEX),
            Map.entry(EXPORTER_SECRET, TLS13_SECRET_HEX),
            Map.entry("ECH_SECRET", TLS13_SECRET_HEX),
            Map.entry("ECH_CONFIG", List.of()));
    private static final String RSA = "RSA";
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Pattern WHITESPACE = Pattern.compile("[ \t]+");
    private static final HexFormat HEX_FORMAT = HexFormat.of();

    /**
     * One key.
     *
     * @param label        e.g. {@link #CLIENT_TRAFFIC_SECRET_0}
     * @param clientRandom the ClientHello's random, lower-case hex (for {@code RSA} lines: the encrypted
     *                     pre-master secret's first 8 bytes)
     * @param secret       the secret, lower-case hex
     */
    public record Entry(String label, String clientRandom, String secret) {

        /** The line as the key log format writes it, without the line break. */
        public String text() {
            return label + " " + clientRandom + " " + secret;
        }
    }

    /**
     * A line that was skipped.
     *
     * @param source where it came from: a file name, or a description such as {@code decryption secrets in x.pcapng}
     * @param line   its line number, from 1
     * @param reason why it is not a key
     */
    public record Problem(String source, int line, String reason) {

        /** {@code keys.log: line 3: unknown label FOO; skipped}. */
        public String describe() {
            return source + ": line " + line + ": " + reason + "; skipped";
        }
    }

    private static final KeyLog EMPTY = new KeyLog(new LinkedHashMap<>(), List.of());

    /** Every entry by its text, in the order first seen. */
    private final LinkedHashMap<String, Entry> entries;
    private final List<Problem> problems;
    /** Client random → label → secret, built on first lookup. */
    private Map<String, Map<String, String>> byClientRandom;

    private KeyLog(LinkedHashMap<String, Entry> entries, List<Problem> problems) {
        this.entries = entries;
        this.problems = List.copyOf(problems);
    }

    public static KeyLog empty() {
        return EMPTY;
    }

    /**
     * Reads a key log file.
     *
     * @throws MeshcapException (failure) when the file cannot be read
     */
    public static KeyLog read(Path file) {
        try {
            return parse(file.toString(), Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw MeshcapException.failure(file + ": no such key log file");
        } catch (AccessDeniedException e) {
            throw MeshcapException.failure(file + ": permission denied (key logs are usually readable by their"
                    + " owner only; run as that user or root)");
        } catch (IOException e) {
            throw MeshcapException.failure(file + ": cannot read the key log: " + e.getMessage(), e);
        }
    }

    /** Parses key log text (ASCII; CRLF or LF line ends), e.g. a file's bytes or a Decryption Secrets Block's. */
    public static KeyLog parse(String source, byte[] text) {
        LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
        List<Problem> problems = new ArrayList<>();
        List<String> lines = new String(text, StandardCharsets.ISO_8859_1).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String reason = reasonToSkip(line);
            if (reason != null) {
                problems.add(new Problem(source, i + 1, reason));
                continue;
            }
            Entry entry = toEntry(line);
            entries.putIfAbsent(entry.text(), entry);
        }
        return new KeyLog(entries, problems);
    }

    /** The key on one line of a key log, or empty for a comment, a blank or a malformed line. */
    public static Optional<Entry> entry(String line) {
        String stripped = line.strip();
        if (stripped.isEmpty() || stripped.startsWith("#") || reasonToSkip(stripped) != null) {
            return Optional.empty();
        }
        return Optional.of(toEntry(stripped));
    }

    private static Entry toEntry(String wellFormedLine) {
        String[] fields = WHITESPACE.split(wellFormedLine);
        return new Entry(fields[0], fields[1].toLowerCase(), fields[2].toLowerCase());
    }

    /** Null when the line is a well-formed key, else what is wrong with it. */
    private static String reasonToSkip(String line) {
        String[] fields = WHITESPACE.split(line);
        if (fields.length != 3) {
            return "expected LABEL CLIENT_RANDOM SECRET, found " + fields.length + " field"
                    + (fields.length == 1 ? "" : "s");
        }
        List<Integer> secretLengths = LABELS.get(fields[0]);
        if (secretLengths == null) {
            return "unknown label " + abbreviate(fields[0]);
        }
        int keyLength = fields[0].equals(RSA) ? RSA_KEY_HEX : CLIENT_RANDOM_HEX;
        if (!HEX.matcher(fields[1]).matches() || fields[1].length() != keyLength) {
            return "the client random must be " + keyLength + " hex digits, found " + abbreviate(fields[1]);
        }
        String secret = fields[2];
        if (!HEX.matcher(secret).matches() || secret.length() % 2 != 0) {
            return "the secret must be hex bytes, found " + abbreviate(secret);
        }
        if (!secretLengths.isEmpty() && !secretLengths.contains(secret.length())) {
            return "the secret of a " + fields[0] + " line must be " + secretLengths.stream().map(String::valueOf)
                    .collect(Collectors.joining(" or ")) + " hex digits, found " + secret.length();
        }
        return null;
    }

    private static String abbreviate(String field) {
        int max = 24;
        return field.length() <= max ? field : field.substring(0, max) + "...";
    }

    /** Every key of both, each once (this log's first), and both logs' problems. */
    public KeyLog plus(KeyLog other) {
        if (other.entries.isEmpty() && other.problems.isEmpty()) {
            return this;
        }
        LinkedHashMap<String, Entry> union = new LinkedHashMap<>(entries);
        other.entries.forEach(union::putIfAbsent);
        List<Problem> allProblems = new ArrayList<>(problems);
        allProblems.addAll(other.problems);
        return new KeyLog(union, allProblems);
    }

    /** The keys, each once, in the order first seen. */
    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** Lines that were skipped, in source order. */
    public List<Problem> problems() {
        return problems;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Number of keys (lines), each counted once. */
    public int size() {
        return entries.size();
    }

    /** Whether this log holds the key line {@code entry} (the same label, client random and secret). */
    public boolean contains(Entry entry) {
        return entries.containsKey(entry.text());
    }

    /** Whether any secret is logged for the connection whose ClientHello carried this random (hex, any case). */
    public boolean hasKeysFor(String clientRandom) {
        return index().containsKey(clientRandom.toLowerCase());
    }

    /** The secret with this label for a connection's client random (hex, any case), as bytes. */
    public Optional<byte[]> secret(String label, String clientRandom) {
        String secret = index().getOrDefault(clientRandom.toLowerCase(), Map.of()).get(label);
        return Optional.ofNullable(secret).map(HEX_FORMAT::parseHex);
    }

    private synchronized Map<String, Map<String, String>> index() {
        if (byClientRandom == null) {
            Map<String, Map<String, String>> index = new HashMap<>();
            for (Entry entry : entries.values()) {
                index.computeIfAbsent(entry.clientRandom(), random -> new HashMap<>())
                        .putIfAbsent(entry.label(), entry.secret());
            }
            byClientRandom = index;
        }
        return byClientRandom;
    }

    /** The keys as key log text: one line each, LF-terminated, as a Decryption Secrets Block carries them. */
    public static byte[] format(Collection<Entry> entries) {
        StringBuilder text = new StringBuilder();
        for (Entry entry : entries) {
            text.append(entry.text()).append('\n');
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** This log's keys as key log text, see {@link #format(Collection)}. */
    public byte[] toBytes() {
        return format(entries.values());
    }
}
