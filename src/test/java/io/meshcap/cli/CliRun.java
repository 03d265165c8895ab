package io.meshcap.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Runs meshcap in-process as a user would from a shell, capturing exit code, stdout and stderr.
 *
 * @param exitCode the process exit code meshcap would return
 * @param out      everything printed on stdout
 * @param err      everything printed on stderr
 */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun of(String... args) {
        return of(new StringWriter(), args);
    }

    /** Like {@link #of(String...)}, with stderr going to {@code err} as it is printed, for commands that run long. */
    public static CliRun of(StringWriter err, String... args) {
        StringWriter out = new StringWriter();
        int exitCode = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(exitCode, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
