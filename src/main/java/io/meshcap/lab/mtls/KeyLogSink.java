package io.meshcap.lab.mtls;

import io.meshcap.tls.KeyLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Appends key log lines to the lab's key log file, as Envoy's {@code key_log} appends to its file. Several lab
 * processes share the file: it is opened for appending and each line goes out in one write, so lines never mix.
 */
final class KeyLogSink {

    private final FileChannel channel;

    private KeyLogSink(FileChannel channel) {
        this.channel = channel;
    }

    /** Opens (or creates, mode 0600) the key log for appending. */
    static KeyLogSink open(Path file) throws IOException {
        return new KeyLogSink(FileChannel.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                StandardOpenOption.CREATE), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))));
    }

    synchronized void write(KeyLog.Entry entry) {
        ByteBuffer line = ByteBuffer.wrap((entry.text() + "\n").getBytes(StandardCharsets.US_ASCII));
        try {
            while (line.hasRemaining()) {
                channel.write(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the key log: " + e.getMessage(), e);
        }
    }
}
