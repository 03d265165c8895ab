package io.meshcap.sys;

import io.meshcap.MeshcapException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs short administrative commands (ip, iptables, ss) from argv lists and collects their output; never a shell.
 * Each has a time limit, so a tool that hangs cannot hang meshcap.
 */
public final class CommandRunner {

    /** What a finished command printed, and how it ended. */
    public record Result(List<String> argv, int exitCode, String stdout, String stderr) {

        public boolean ok() {
            return exitCode == 0;
        }

        /** The first line of stderr (or stdout), for a one-line failure message. */
        public String reason() {
            String text = stderr.isBlank() ? stdout : stderr;
            return text.strip().lines().findFirst().orElse("exit code " + exitCode);
        }
    }

    // Draining blocks until the command exits; never on the common pool, which other work shares.
    private static final ExecutorService DRAINS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "meshcap-command-output");
        thread.setDaemon(true);
        return thread;
    });

    private static final long TIME_LIMIT_SECONDS = 30;
    /** Tools must not wait for input meshcap will never send. */
    private static final ProcessBuilder.Redirect NO_INPUT = ProcessBuilder.Redirect.from(new File("/dev/null"));
    /** Root's tools live in sbin, which a non-login PATH often lacks. */
    private static final List<String> SYSTEM_DIRECTORIES =
            List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin");

    private CommandRunner() {
    }

    public static Result run(List<String> argv) {
        return run(argv, null);
    }

    /**
     * An argv as a shell would show it, each element single-quoted when it needs it: for plans, logs and the
     * metadata bundle only, since meshcap itself never runs a shell on user input.
     */
    public static String display(List<String> argv) {
        List<String> shown = new ArrayList<>(argv.size());
        for (String arg : argv) {
            shown.add(arg.matches("[A-Za-z0-9_./:=+,@%-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return String.join(" ", shown);
    }

    /** Runs argv with the given text on stdin (or none), waiting for it to finish. */
    public static Result run(List<String> argv, String stdin) {
        List<String> resolved = new ArrayList<>(argv);
        resolved.set(0, locate(argv.get(0)).orElse(argv.get(0)));
        ProcessBuilder builder = new ProcessBuilder(resolved);
        if (stdin == null) {
            builder.redirectInput(NO_INPUT);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw MeshcapException.failure("cannot run " + argv.get(0) + ": " + e.getMessage()
                    + " (" + Host.installHint(argv.get(0)) + ")", e);
        }
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), DRAINS);
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), DRAINS);
        if (stdin != null) {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // The command exited without reading its input; its exit code and stderr tell why.
            }
        }
        try {
            if (!process.waitFor(TIME_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw MeshcapException.failure(String.join(" ", argv) + " did not finish within "
                        + TIME_LIMIT_SECONDS + " s");
            }
            return new Result(List.copyOf(argv), process.exitValue(), stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while running " + String.join(" ", argv), e);
        }
    }

    /** Runs argv and fails with "{@code what}: reason" unless it exits 0. */
    public static Result check(String what, List<String> argv) {
        return check(what, argv, null);
    }

    public static Result check(String what, List<String> argv, String stdin) {
        Result result = run(argv, stdin);
        if (!result.ok()) {
            throw MeshcapException.failure(what + ": " + String.join(" ", argv) + ": " + result.reason());
        }
        return result;
    }

    /**
     * The absolute path of a program on PATH or in the system directories, or empty when it is not installed;
     * resolving it here lets a command run inside a namespace (nsenter, ip netns exec) by absolute path.
     */
    public static Optional<String> locate(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program)) ? Optional.of(program) : Optional.empty();
        }
        Set<String> directories = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            directories.addAll(List.of(path.split(File.pathSeparator)));
        }
        directories.addAll(SYSTEM_DIRECTORIES);
        return directories.stream()
                .filter(directory -> !directory.isEmpty())
                .map(directory -> Path.of(directory, program))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }

    private static String drain(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
