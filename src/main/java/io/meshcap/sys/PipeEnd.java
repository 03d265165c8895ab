package io.meshcap.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Whether the program reading one of meshcap's pipes has gone away. A writer learns that from a failed write
 * (EPIPE), which only comes with the next write; poll(2) tells it at once, so a stream that is quiet for a while
 * still notices a viewer that was closed.
 */
public final class PipeEnd {

    /** Standard output's descriptor. */
    public static final int STDOUT = 1;
    private static final int REVENTS_SHIFT = 16;

    private PipeEnd() {
    }

    /**
     * True when {@code fd} is the writing end of a pipe whose reading end is closed. False for anything else (a file,
     * a terminal, /dev/null), on a big-endian machine, and when poll(2) cannot say.
     */
    public static boolean readerGone(int fd) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return false;
        }
        int[] pollfd = {fd, 0};
        try {
            if (Libc.C.poll(pollfd, new NativeLong(1), 0) <= 0) {
                return false;
            }
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false;
        }
        int revents = pollfd[1] >>> REVENTS_SHIFT;
        return (revents & (Libc.POLLERR | Libc.POLLHUP)) != 0;
    }

    /**
     * True when no process has the named pipe {@code fifo} open for reading any more. Meshcap's own descriptor is not
     * at hand (the JDK keeps it), so this opens the pipe once more for writing without waiting, which fails with ENXIO
     * exactly then, and closes it at once. False when the check cannot say.
     */
    public static boolean readerGone(Path fifo) {
        try {
            Libc.C.close(Libc.C.open(fifo.toString(), Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC));
            return false;
        } catch (LastErrorException e) {
            return e.getErrorCode() == Libc.ENXIO;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }
}
