package io.meshcap.istio;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Runs an argv and returns what it printed; tests substitute canned output. */
public interface CommandRunner {

    /** What a command printed and how it ended. */
    record Result(int exitCode, String stdout, String stderr) {

        boolean ok() {
            return exitCode == 0;
        }

        /** The first line of stderr, for messages. */
        String firstErrorLine() {
            String trimmed = stderr.strip();
            int newline = trimmed.indexOf('\n');
            return newline < 0 ? trimmed : trimmed.substring(0, newline);
        }
    }

    Result run(List<String> argv) throws IOException;

    /** The absolute path of a program on the search path (sbin directories included), or empty when not installed. */
    Optional<String> locate(String program);
}
