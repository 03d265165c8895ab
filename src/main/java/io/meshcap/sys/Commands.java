package io.meshcap.sys;

import java.util.List;
import java.util.Optional;

/**
 * How code that tests drive with canned output runs tools. On this machine it is {@code CommandRunner::run};
 * a test supplies its own, and overrides {@link #locate} to pretend tools are missing.
 */
@FunctionalInterface
public interface Commands {

    /** Runs argv to completion, as {@link CommandRunner#run(List)} does. */
    CommandRunner.Result run(List<String> argv);

    /** The absolute path of an installed program, or empty when it is not installed. */
    default Optional<String> locate(String program) {
        return CommandRunner.locate(program);
    }
}
