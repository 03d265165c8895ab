package io.meshcap.capture.local;

import com.sun.jna.LastErrorException;
import io.meshcap.sys.Libc;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The pipe a tcpdump writes its capture into, made by meshcap rather than by the JDK. Owning the reading end lets
 * meshcap ask how many bytes are still waiting in the pipe ({@link #drained}): tcpdump must not be signalled while a
 * write to a full pipe blocks it, because SIGTERM interrupts that write and glibc then discards the rest of the
 * packet, leaving the capture cut short in the middle of it. (The JDK's own pipe cannot be asked: its stream holds a
 * lock for as long as a read waits.) The child opens the writing end through {@code /proc/self/fd}, as for its stderr.
 */
final class OutputPipe {

    private final ChildWriteEnd writeEnd;
    private final FileInputStream readEnd;

    private OutputPipe(ChildWriteEnd writeEnd, FileInputStream readEnd) {
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
        ChildWriteEnd writeEnd = new ChildWriteEnd(ends[1]);
        try {
            return new OutputPipe(writeEnd, new FileInputStream(ChildWriteEnd.path(ends[0]).toFile()));
        } catch (IOException e) {
            writeEnd.close();
            throw e;
        } finally {
            Libc.C.close(ends[0]);
        }
    }

    /** The child's side; once it has its own, the stream ends when the child does. */
    ChildWriteEnd writeEnd() {
        return writeEnd;
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
