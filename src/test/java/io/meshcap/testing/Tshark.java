package io.meshcap.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs tshark and capinfos on files the tests produce: the independent judge of what meshcap wrote. */
public final class Tshark {

    private Tshark() {
    }

    /** {@code tshark -r FILE -T fields -e F...}, one list of field values per packet. */
    public static List<List<String>> fields(Path file, String displayFilter, String... fields) {
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields", "-E", "separator=|"));
        if (displayFilter != null) {
            argv.add("-Y");
            argv.add(displayFilter);
        }
        for (String field : fields) {
            argv.add("-e");
            argv.add(field);
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : run(argv).lines().toList()) {
            rows.add(List.of(line.split("\\|", -1)));
        }
        return rows;
    }

    /** The number of packets tshark reads from the file. */
    public static int count(Path file) {
        return (int) run(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e", "frame.number")).lines().count();
    }

    /** Runs a command to completion and returns its stdout; fails on a non-zero exit. */
    public static String run(List<String> argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.PIPE).start();
            process.getOutputStream().close();
            String err;
            String out;
            try (var stdout = process.getInputStream(); var stderr = process.getErrorStream()) {
                var errText = new java.util.concurrent.CompletableFuture<String>();
                Thread reader = new Thread(() -> {
                    try {
                        errText.complete(new String(stderr.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        errText.complete(e.toString());
                    }
                });
                reader.start();
                out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
                err = errText.join();
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(argv + " timed out");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(argv + " exited " + process.exitValue() + ": " + err);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + argv + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
