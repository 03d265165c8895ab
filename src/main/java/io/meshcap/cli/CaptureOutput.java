package io.meshcap.cli;

import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.output.OutputTarget;
import io.meshcap.tls.SecretsWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Where {@code merge} and {@code reassociate} write: the {@link OutputTarget} {@code -o} names (never one of the
 * inputs), written through a {@link SecretsWriter} whose notes on the keys it holds are kept for stderr.
 */
final class CaptureOutput {

    private final OutputTarget target;
    /** The writer of the last completed {@link #write}. */
    private SecretsWriter written;

    private CaptureOutput(OutputTarget target) {
        this.target = target;
    }

    /** The output named by {@code -o}, checked, and refused when it is one of {@code inputs}. */
    static CaptureOutput of(String output, List<Path> inputs) {
        OutputTarget target = OutputTarget.of(output);
        target.refuseInputs(inputs);
        return new CaptureOutput(target);
    }

    /** A directory for temporary files next to the output (the system's temporary directory for stdout). */
    Path scratchDirectory() {
        return target.scratchDirectory();
    }

    /** Says on {@code err} what runs that died left beside the output. */
    void reportLeftovers(PrintWriter err) {
        target.reportLeftovers(err);
    }

    /**
     * Writes the output with {@code body}, through {@code secrets}, which decides the decryption secrets it holds
     * (e.g. {@code w -> SecretsWriter.adding(w, keys)} or {@code SecretsWriter::stripping}); a failure leaves what
     * {@code -o} named as it was. Afterwards {@link #secretsNotes()} says what the output holds.
     */
    <T> T write(OutputFormat format, Function<CaptureWriter, SecretsWriter> secrets, Function<CaptureWriter, T> body) {
        return target.write(format, secrets, writer -> {
            T result = body.apply(writer);
            written = writer;
            return result;
        });
    }

    /** What the written output holds in decryption secrets and which key lines were skipped, for stderr. */
    List<String> secretsNotes() {
        return written == null ? List.of() : written.notes(target.file());
    }
}
