package io.meshcap.sys;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether the reader of one of meshcap's pipes has gone, on real pipes made by the kernel: an anonymous pipe (what a
 * shell gives meshcap's standard output) and a named one (what Wireshark reads), each with its reader open, then
 * closed; and the things that are not pipes, which have no reader to lose.
 */
class PipeEndTest {

    @TempDir
    Path dir;

    @Test
    void aPipesWritingEndSaysItsReaderHasGoneOnlyOnceTheReadingEndIsClosed() {
        int[] ends = new int[2];
        Libc.C.pipe2(ends, Libc.O_CLOEXEC);
        try {
            assertFalse(PipeEnd.readerGone(ends[1]), "the reading end is open");
            Libc.C.close(ends[0]);
            assertTrue(PipeEnd.readerGone(ends[1]), "the reading end is closed");
        } finally {
            Libc.C.close(ends[1]);
        }
    }

    @Test
    void aFileOrADeviceHasNoReaderToLose() throws Exception {
        Path file = Files.writeString(dir.resolve("capture.pcapng"), "x");
        int fileDescriptor = Libc.C.open(file.toString(), Libc.O_WRONLY | Libc.O_CLOEXEC);
        int devNull = Libc.C.open("/dev/null", Libc.O_WRONLY | Libc.O_CLOEXEC);
        try {
            assertFalse(PipeEnd.readerGone(fileDescriptor), "a file");
            assertFalse(PipeEnd.readerGone(devNull), "/dev/null");
            assertFalse(PipeEnd.readerGone(file), "a file by name");
            assertFalse(PipeEnd.readerGone(Path.of("/dev/null")), "/dev/null by name");
            assertFalse(PipeEnd.readerGone(dir.resolve("gone")), "a name that is not there says nothing");
        } finally {
            Libc.C.close(fileDescriptor);
            Libc.C.close(devNull);
        }
    }

    @Test
    void aNamedPipeSaysItsReaderHasGoneWhileNoProcessHasItOpenForReading() {
        Path fifo = dir.resolve("wireshark.fifo");
        Tshark.run("mkfifo", fifo.toString());
        assertTrue(PipeEnd.readerGone(fifo), "no reader yet, or none any more");
        int reader = Libc.C.open(fifo.toString(), Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try {
            assertFalse(PipeEnd.readerGone(fifo), "a reader has it open");
            assertFalse(PipeEnd.readerGone(fifo), "asking did not take the reader's place");
        } finally {
            Libc.C.close(reader);
        }
        assertTrue(PipeEnd.readerGone(fifo), "the reader closed it");
    }
}
