package io.meshcap.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a started tool's stderr on a daemon thread, so a test can wait for the line that says the tool is ready
 * ({@code listening on}, {@code Capturing on}) instead of sleeping, and show everything the tool said when it fails.
 */
public final class StderrWatch {

    private final CompletableFuture<Void> marked = new CompletableFuture<>();
    private final CompletableFuture<String> text = new CompletableFuture<>();

    private StderrWatch() {
    }

    /** Starts reading {@code process}'s stderr; {@link #awaitMarker} returns once a line contains {@code marker}. */
    public static StderrWatch start(Process process, String marker) {
        StderrWatch watch = new StderrWatch();
        Thread reader = new Thread(() -> {
            StringBuilder all = new StringBuilder();
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream()))) {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    all.append(line).append('\n');
                    if (line.contains(marker)) {
                        watch.marked.complete(null);
                    }
                }
            } catch (IOException e) {
                all.append(e);
            }
            watch.marked.complete(null); // a tool that exits early is ready to be asked how it failed
            watch.text.complete(all.toString());
        });
        reader.setDaemon(true);
        reader.start();
        return watch;
    }

    /** Waits until the marker was printed or stderr closed. */
    public void awaitMarker(long timeoutSeconds) throws Exception {
        marked.get(timeoutSeconds, TimeUnit.SECONDS);
    }

    /** Everything printed on stderr, complete once it closed. */
    public CompletableFuture<String> text() {
        return text;
    }
}
