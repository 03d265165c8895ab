package io.meshcap.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A key log file that its writer (Envoy, the lab's sidecars, OpenSSL) is still appending to, read from where the
 * last read ended, as {@code tail -f} would: only whole lines are taken, so a line being written is read once it is
 * complete. A file that does not exist yet is read once it does; one that shrank (rotated, truncated) is read again
 * from its start.
 */
public final class KeyLogTail implements KeyFeed {

    /** Reading a local file costs next to nothing: often enough that keys hardly ever hold packets back. */
    private static final Duration PERIOD = Duration.ofMillis(250);
    private static final byte NEWLINE = '\n';

    private final Path file;
    private final Consumer<String> warnings;
    private long offset;
    private boolean warned;

    /** @param warnings where a read failure other than a missing file is said, once */
    public KeyLogTail(Path file, Consumer<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    @Override
    public synchronized KeyLog readNew() {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < offset) {
                offset = 0;
            }
            ByteBuffer added = ByteBuffer.allocate(Math.toIntExact(size - offset));
            while (added.hasRemaining() && channel.read(added, offset + added.position()) >= 0) {
                // Reads until the size seen above; what is appended meanwhile waits for the next read.
            }
            int whole = lastNewline(added.array(), added.position()) + 1;
            offset += whole;
            byte[] lines = new byte[whole];
            System.arraycopy(added.array(), 0, lines, 0, whole);
            return KeyLog.parse(file.toString(), lines);
        } catch (NoSuchFileException e) {
            return KeyLog.empty();
        } catch (IOException | ArithmeticException e) {
            if (!warned) {
                warned = true;
                warnings.accept(file + ": cannot read the key log while capturing (" + e.getMessage()
                        + "); its keys go into the capture when it ends");
            }
            return KeyLog.empty();
        }
    }

    private static int lastNewline(byte[] bytes, int length) {
        for (int i = length - 1; i >= 0; i--) {
            if (bytes[i] == NEWLINE) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Duration period() {
        return PERIOD;
    }
}
