package io.meshcap.lab;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs short administrative commands (ip, iptables) from argv lists and collects their output. */
final class CommandRunner {

    /** What a finished command printed, and how it ended. */
    record Result(List<String> argv, int exitCode, String stdout, String stderr) {

        boolean ok() {
            return exitCode == 0;
        }

        /** The first line of stderr (or stdout), for a one-line failure message. */
        String reason() {
            String text = stderr.isBlank() ? stdout : stderr;
            return text.strip().lines().findFirst().orElse("exit code " + exitCode);
        }
    }

    private CommandRunner() {
    }

    static Result run(List<String> argv) {
        return run(argv, null);
    }

    /** Runs argv with the given text on stdin (or none), waiting for it to finish. */
    static Result run(List<String> argv, String stdin) {
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw MeshcapException.failure("cannot run " + argv.get(0) + ": " + e.getMessage()
                    + " (" + HostCheck.installHint(argv.get(0)) + ")", e);
        }
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The command exited without reading its input; its exit code and stderr tell why.
        }
        try {
            int exitCode = process.waitFor();
            return new Result(List.copyOf(argv), exitCode, stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while running " + String.join(" ", argv), e);
        }
    }

    /** Runs argv and fails with "{@code what}: reason" unless it exits 0. */
    static Result check(String what, List<String> argv) {
        return check(what, argv, null);
    }

    static Result check(String what, List<String> argv, String stdin) {
        Result result = run(argv, stdin);
        if (!result.ok()) {
            throw MeshcapException.failure(what + ": " + String.join(" ", argv) + ": " + result.reason());
        }
        return result;
    }

    private static String drain(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
