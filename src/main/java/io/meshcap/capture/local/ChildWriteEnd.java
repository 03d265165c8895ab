package io.meshcap.capture.local;

import io.meshcap.sys.Libc;
import java.io.File;
import java.nio.file.Path;

/**
 * A descriptor meshcap holds for a child process to write into (a memory file, a pipe). The JDK opens it by its
 * {@code /proc/self/fd} path while starting the child; meshcap then closes its own copy and reads through a channel of
 * its own, so what it reads is the child's alone and nothing of the JDK's handling of a child's pipes.
 */
final class ChildWriteEnd {

    private final int descriptor;

    ChildWriteEnd(int descriptor) {
        this.descriptor = descriptor;
    }

    /** The path through which this process opens {@code descriptor} again. */
    static Path path(int descriptor) {
        return Path.of("/proc/self/fd", Integer.toString(descriptor));
    }

    /** Where the child writes: the JDK opens this path while starting it. */
    File forChild() {
        return path(descriptor).toFile();
    }

    /** Once the child has its own descriptor (or could not be started), meshcap keeps only its reading side. */
    void childStarted() {
        Libc.C.close(descriptor);
    }

    /** For a set-up that failed before any child was started. */
    void close() {
        Libc.C.close(descriptor);
    }
}
