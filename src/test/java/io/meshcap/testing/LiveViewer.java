package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A named pipe for a capture to stream into ({@code --live PIPE}), read by a viewer thread that copies everything
 * coming through it to a file, as Wireshark reading the pipe would see it.
 */
public final class LiveViewer {

    private final Path pipe;
    private final Path file;
    private final Thread thread;

    private LiveViewer(Path pipe, Path file) {
        this.pipe = pipe;
        this.file = file;
        this.thread = new Thread(() -> {
            try {
                Files.copy(pipe, file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "test-live-viewer");
        thread.start();
    }

    /** Makes {@code dir/live} and starts copying it to {@code dir/streamed.pcapng}. */
    public static LiveViewer start(Path dir) {
        Path pipe = dir.resolve("live");
        CommandRunner.check("mkfifo failed", List.of("mkfifo", pipe.toString()));
        return new LiveViewer(pipe, dir.resolve("streamed.pcapng"));
    }

    public Path pipe() {
        return pipe;
    }

    /** What came through the pipe. */
    public Path file() {
        return file;
    }

    /** Waits until the writer has closed the pipe and the viewer has copied all of it. */
    public void await(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
    }
}
