package io.meshcap.tls;

import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.SectionInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which decryption secrets reach an output file, in front of its writer. Either it adds a key log before
 * anything else (so Wireshark decrypts from the first packet on) and passes the inputs' own Decryption Secrets
 * Blocks on with every TLS key line already written taken out, so each line is written once (the rest of such a block
 * stays as the input has it); or it strips every Decryption Secrets Block, for a copy to share.
 *
 * <pre>{@code
 * SecretsWriter secrets = SecretsWriter.adding(CaptureFormats.create(out, PCAPNG, app), KeyLog.read(keys));
 * merger.merge(inputs, secrets, RecordTransform.NONE);
 * secrets.close();
 * secrets.notes(out).forEach(System.err::println);
 * }</pre>
 */
public final class SecretsWriter implements CaptureWriter {

    private final CaptureWriter out;
    private final boolean strip;
    private KeyLog pending;
    private final Set<KeyLog.Entry> written = new HashSet<>();
    private final List<KeyLog.Problem> problems = new ArrayList<>();
    private int duplicates;
    private int keyBlocks;
    private int otherSecretsBlocks;
    private int stripped;

    private SecretsWriter(CaptureWriter out, KeyLog added, boolean strip) {
        this.out = out;
        this.pending = added;
        this.strip = strip;
        this.problems.addAll(added.problems());
    }

    /** Writes {@code keys} ahead of everything (nothing when empty) and each TLS key line once. */
    public static SecretsWriter adding(CaptureWriter out, KeyLog keys) {
        return new SecretsWriter(out, keys, false);
    }

    /** Writes no Decryption Secrets Block at all. */
    public static SecretsWriter stripping(CaptureWriter out) {
        return new SecretsWriter(out, KeyLog.empty(), true);
    }

    @Override
    public void describeSection(SectionInfo section) {
        out.describeSection(section);
    }

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        writePending();
        return out.addInterface(captureInterface);
    }

    @Override
    public void write(CaptureBlock block) {
        writePending();
        if (!(block instanceof DecryptionSecrets secrets)) {
            out.write(block);
        } else if (strip) {
            stripped++;
        } else if (secrets.secretsType() != DecryptionSecrets.TLS_KEY_LOG) {
            otherSecretsBlocks++;
            out.write(secrets);
        } else {
            writeUnwritten(secrets);
        }
    }

    /**
     * Passes an input's TLS key log block on without the key lines already written. Everything else in it (comments,
     * lines that are not keys) stays as the input has it, and a block with nothing to take out is written unchanged.
     */
    private void writeUnwritten(DecryptionSecrets secrets) {
        String text = new String(secrets.secrets(), StandardCharsets.ISO_8859_1);
        StringBuilder kept = new StringBuilder();
        int dropped = 0;
        for (String line : text.split("(?<=\\n)")) {
            Optional<KeyLog.Entry> entry = KeyLog.entry(line);
            if (entry.isPresent() && !written.add(entry.get())) {
                dropped++;
            } else {
                kept.append(line);
            }
        }
        duplicates += dropped;
        if (dropped == 0) {
            keyBlocks++;
            out.write(secrets);
        } else if (!kept.toString().isBlank()) {
            keyBlocks++;
            out.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG,
                    kept.toString().getBytes(StandardCharsets.ISO_8859_1), secrets.options()));
        }
    }

    private void writePending() {
        if (pending == null) {
            return;
        }
        KeyLog keys = pending;
        pending = null;
        if (!keys.isEmpty()) {
            written.addAll(keys.entries());
            keyBlocks++;
            out.write(new DecryptionSecrets(DecryptionSecrets.TLS_KEY_LOG, keys.toBytes()));
        }
    }

    @Override
    public void flush() {
        writePending();
        out.flush();
    }

    @Override
    public void close() {
        writePending();
        out.close();
    }

    /** TLS key lines written, each once. */
    public int keyLines() {
        return written.size();
    }

    /** Whether the output holds any secret: TLS keys or another kind of Decryption Secrets Block. */
    public boolean holdsSecrets() {
        return keyBlocks > 0 || otherSecretsBlocks > 0;
    }

    /** Decryption Secrets Blocks left out by {@link #stripping}. */
    public int stripped() {
        return stripped;
    }

    /**
     * What to tell the user on stderr once the output is written, one line each: the key lines that were skipped,
     * and what the output holds (TLS keys are a secret: anyone with the file can read its TLS connections).
     *
     * @param file the output file, or null for standard output
     */
    public List<String> notes(Path file) {
        String destination = file == null ? "standard output" : file.toString();
        List<String> notes = new ArrayList<>();
        problems.forEach(problem -> notes.add("meshcap: warning: " + problem.describe()));
        if (strip) {
            notes.add("meshcap: left out " + plural(stripped, "decryption secrets block") + " (--strip-secrets): "
                    + destination + " holds no keys");
        } else if (holdsSecrets()) {
            String what = plural(keyLines(), "TLS key log line")
                    + (duplicates > 0 ? " (" + plural(duplicates, "repeated line") + " written once)" : "")
                    + (otherSecretsBlocks > 0 ? " and " + plural(otherSecretsBlocks, "other decryption secrets block")
                            : "");
            notes.add("meshcap: " + destination + " holds " + what + ": anyone who has it can read the encrypted"
                    + " connections in it" + (file == null ? "" : ", so it is readable by its owner only (mode 0600)")
                    + "; to share a capture, make a copy without keys: meshcap merge --strip-secrets FILE -o"
                    + " shared.pcapng");
        }
        return notes;
    }

    private static String plural(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }
}
