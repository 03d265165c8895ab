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

    /** What a viewer does with the pipe: open it, read until the writer closes it. */
    @FunctionalInterface
    public interface Reader {
        void read(Path pipe) throws IOException;
    }

    private final Path pipe;
    private final Path file;
    private final Thread thread;

    private LiveViewer(Path pipe, Path file, Reader reader) {
        this.pipe = pipe;
        this.file = file;
        this.thread = new Thread(() -> {
            try {
                reader.read(pipe);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "test-live-viewer");
        thread.start();
    }

    /** Makes {@code dir/live} and starts copying it to {@code dir/streamed.pcapng}. */
    public static LiveViewer start(Path dir) {
        Path file = dir.resolve("streamed.pcapng");
        return new LiveViewer(fifo(dir), file, pipe -> Files.copy(pipe, file));
    }

    /** Makes {@code dir/live} and starts {@code reader} on it, for a test that judges the stream as it comes. */
    public static LiveViewer start(Path dir, Reader reader) {
        return new LiveViewer(fifo(dir), null, reader);
    }

    private static Path fifo(Path dir) {
        Path pipe = dir.resolve("live");
        CommandRunner.check("mkfifo failed", List.of("mkfifo", pipe.toString()));
        return pipe;
    }

    public Path pipe() {
        return pipe;
    }

    /** What came through the pipe, for a viewer that copies it (null for one with its own reader). */
    public Path file() {
        return file;
    }

    /** Waits until the writer has closed the pipe and the viewer has read all of it. */
    public void await(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
    }
}
