package io.meshcap.capture.k8s;

/**
 * How a short command run in a pod ended.
 *
 * @param exitCode its exit code, or {@link RemoteProcess#NO_EXIT_STATUS} when the stream ended without one
 * @param stdout   what it printed on stdout
 * @param stderr   what it printed on stderr
 */
public record CommandResult(int exitCode, String stdout, String stderr) {

    /** The exit code of a command the shell or the runtime could not find. */
    public static final int NOT_FOUND = 127;

    public boolean ok() {
        return exitCode == 0;
    }

    /** Whether the executable was missing: exit 127, or the runtime's "executable file not found". */
    public boolean executableMissing() {
        return exitCode == NOT_FOUND || stderr.contains("executable file not found") || stderr.contains("not found in $PATH");
    }

    /** stderr, else stdout, trimmed; for messages. */
    public String diagnostic() {
        String text = stderr.isBlank() ? stdout : stderr;
        return text.strip();
    }
}
