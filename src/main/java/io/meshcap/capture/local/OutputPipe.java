package io.meshcap.capture.local;

import com.sun.jna.LastErrorException;
import io.meshcap.sys.Libc;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The pipe a tcpdump writes its capture into, made by meshcap rather than by the JDK. Owning the reading end lets
 * meshcap ask how many bytes are still waiting in the pipe ({@link #drained}): tcpdump must not be signalled while a
 * write to a full pipe blocks it, because SIGTERM interrupts that write and glibc then discards the rest of the
 * packet, leaving the capture cut short in the middle of it. (The JDK's own pipe cannot be asked: its stream holds a
 * lock for as long as a read waits.) The child opens the writing end through {@code /proc/self/fd}, as for its stderr.
 */
final class OutputPipe {

    private final int writeEnd;
    private final FileInputStream readEnd;

    private OutputPipe(int writeEnd, FileInputStream readEnd) {
        this.writeEnd = writeEnd;
        this.readEnd = readEnd;
    }

    static OutputPipe create() throws IOException {
        int[] ends = new int[2];
        try {
            Libc.C.pipe2(ends, Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot create a pipe for tcpdump's capture (errno " + e.getErrorCode() + ")", e);
        }
        try {
            return new OutputPipe(ends[1], new FileInputStream(path(ends[0]).toFile()));
        } catch (IOException e) {
            Libc.C.close(ends[1]);
            throw e;
        } finally {
            Libc.C.close(ends[0]);
        }
    }

    private static Path path(int descriptor) {
        return Path.of("/proc/self/fd", Integer.toString(descriptor));
    }

    /** Where the child writes: the JDK opens this path while starting it. */
    File forChild() {
        return path(writeEnd).toFile();
    }

    /** Once the child has its own descriptor (or could not be started), the stream ends when the child does. */
    void childStarted() {
        Libc.C.close(writeEnd);
    }

    /** What the child writes; closing it closes meshcap's reading end. */
    InputStream stream() {
        return readEnd;
    }

    /** Whether every byte written so far has been read: a writer cannot be blocked on the pipe then. */
    boolean drained() {
        try {
            return readEnd.available() == 0;
        } catch (IOException closed) {
            return true;
        }
    }
}
