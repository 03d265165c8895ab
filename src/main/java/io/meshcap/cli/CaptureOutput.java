package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.Version;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.tls.SecretsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Where {@code merge} and {@code reassociate} write: a file that is never one of the inputs and is deleted when
 * writing fails half-way, or standard output for {@code -}.
 */
final class CaptureOutput {

    private static final String STDOUT = "-";

    /** The file, or null for standard output. */
    private final Path file;
    /** The writer of the last completed {@link #write}. */
    private SecretsWriter written;

    private CaptureOutput(Path file) {
        this.file = file;
    }

    /** The output named by {@code -o}, refused when it is one of {@code inputs}. */
    static CaptureOutput of(String output, List<Path> inputs) {
        if (STDOUT.equals(output)) {
            return new CaptureOutput(null);
        }
        Path file = Path.of(output);
        refuseOverwritingAnInput(file, inputs);
        return new CaptureOutput(file);
    }

    /** A directory for temporary files next to the output (the system's temporary directory for stdout). */
    Path scratchDirectory() {
        if (file == null) {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }
        Path parent = file.toAbsolutePath().getParent();
        return parent != null ? parent : Path.of(".");
    }

    /**
     * Writes the output with {@code body}, through {@code secrets}, which decides the decryption secrets it holds
     * (e.g. {@code w -> SecretsWriter.adding(w, keys)} or {@code SecretsWriter::stripping}); a file left incomplete
     * by a failure is deleted. Afterwards {@link #secretsNotes()} says what the output holds.
     */
    <T> T write(OutputFormat format, Function<CaptureWriter, SecretsWriter> secrets, Function<CaptureWriter, T> body) {
        String application = Version.userApplication();
        SecretsWriter writer = secrets.apply(file == null
                ? CaptureFormats.createStdout(format, application)
                : CaptureFormats.create(file, format, application));
        try (writer) {
            T result = body.apply(writer);
            written = writer;
            return result;
        } catch (RuntimeException e) {
            if (file != null) {
                deleteIncomplete();
            }
            throw e;
        }
    }

    /** What the written output holds in decryption secrets and which key lines were skipped, for stderr. */
    List<String> secretsNotes() {
        return written == null ? List.of() : written.notes(file);
    }

    private static void refuseOverwritingAnInput(Path output, List<Path> inputs) {
        if (!Files.exists(output)) {
            return;
        }
        for (Path input : inputs) {
            try {
                if (Files.exists(input) && Files.isSameFile(input, output)) {
                    throw MeshcapException.usage("-o " + output + " is also an input; choose another output file");
                }
            } catch (IOException e) {
                throw MeshcapException.failure(input + ": cannot check it against the output: " + e.getMessage(), e);
            }
        }
    }

    private void deleteIncomplete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            System.err.println("meshcap: could not delete the incomplete output " + file + ": " + e.getMessage());
        }
    }
}
