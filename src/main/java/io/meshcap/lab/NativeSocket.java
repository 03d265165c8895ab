package io.meshcap.lab;

import io.meshcap.sys.Libc;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;

/**
 * A TCP socket held as a raw descriptor, for the stand-in sidecar: java.net hides descriptors, and
 * SO_ORIGINAL_DST can only be read from one. Blocking calls, retried on EINTR.
 */
final class NativeSocket implements AutoCloseable {

    private static final int LISTEN_BACKLOG = 128;
    private static final int STREAM_BUFFER = 16 * 1024;
    private static final long FINISH_SECONDS = 5;

    private final int fd;
    private final boolean ipv6;

    private NativeSocket(int fd, boolean ipv6) {
        this.fd = fd;
        this.ipv6 = ipv6;
    }

    static NativeSocket open(boolean ipv6) {
        return new NativeSocket(
                Libc.C.socket(ipv6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0), ipv6);
    }

    /** A listener on the family's wildcard address; an IPv6 one is IPv6-only so each family has its own. */
    static NativeSocket listen(boolean ipv6, int port) {
        NativeSocket socket = open(ipv6);
        Libc.C.setsockopt(socket.fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, new int[] {1}, Integer.BYTES);
        if (ipv6) {
            Libc.C.setsockopt(socket.fd, Libc.SOL_IPV6, Libc.IPV6_V6ONLY, new int[] {1}, Integer.BYTES);
        }
        socket.bind(new InetSocketAddress(ipv6 ? "::" : "0.0.0.0", port));
        Libc.C.listen(socket.fd, LISTEN_BACKLOG);
        return socket;
    }

    NativeSocket accept() {
        while (true) {
            try {
                return new NativeSocket(Libc.C.accept4(fd, null, null, Libc.SOCK_CLOEXEC), ipv6);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Libc.EINTR) {
                    throw e;
                }
            }
        }
    }

    void bind(InetSocketAddress address) {
        byte[] raw = SockAddr.encode(address);
        Libc.C.bind(fd, raw, raw.length);
    }

    void connect(InetSocketAddress address) {
        byte[] raw = SockAddr.encode(address);
        Libc.C.connect(fd, raw, raw.length);
    }

    /** Where the connection was going before the nat table's REDIRECT rewrote it. */
    InetSocketAddress originalDestination() {
        byte[] raw = new byte[ipv6 ? SockAddr.IPV6_LENGTH : SockAddr.IPV4_LENGTH];
        int[] length = {raw.length};
        Libc.C.getsockopt(fd, ipv6 ? Libc.SOL_IPV6 : Libc.SOL_IP, Libc.SO_ORIGINAL_DST, raw, length);
        return SockAddr.decode(raw);
    }

    InetSocketAddress localAddress() {
        byte[] raw = new byte[SockAddr.IPV6_LENGTH];
        int[] length = {raw.length};
        Libc.C.getsockname(fd, raw, length);
        return SockAddr.decode(raw);
    }

    /** Reads up to {@code count} bytes into {@code buffer}; 0 means the peer half-closed. */
    int read(Memory buffer, int count) {
        while (true) {
            try {
                return Libc.C.read(fd, buffer, new NativeLong(count)).intValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Libc.EINTR) {
                    throw e;
                }
            }
        }
    }

    void writeFully(Memory buffer, int count) {
        int offset = 0;
        while (offset < count) {
            try {
                offset += Libc.C.write(fd, buffer.share(offset), new NativeLong(count - offset)).intValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Libc.EINTR) {
                    throw e;
                }
            }
        }
    }

    /**
     * The socket as a stream, for code that speaks streams (TLS): reads as {@link #read}, end-of-stream as -1, and
     * a failed call as an IOException. Closing the stream leaves the socket to its owner.
     */
    InputStream inputStream() {
        Memory buffer = new Memory(STREAM_BUFFER);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                if (length == 0) {
                    return 0;
                }
                try {
                    int count = NativeSocket.this.read(buffer, Math.min(length, STREAM_BUFFER));
                    if (count == 0) {
                        return -1;
                    }
                    buffer.read(0, bytes, offset, count);
                    return count;
                } catch (LastErrorException e) {
                    throw new IOException("read failed: " + e.getMessage(), e);
                }
            }
        };
    }

    /** The socket as an output stream; see {@link #inputStream()}. */
    OutputStream outputStream() {
        Memory buffer = new Memory(STREAM_BUFFER);
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                try {
                    for (int done = 0; done < length; ) {
                        int chunk = Math.min(length - done, STREAM_BUFFER);
                        buffer.write(0, bytes, offset + done, chunk);
                        writeFully(buffer, chunk);
                        done += chunk;
                    }
                } catch (LastErrorException e) {
                    throw new IOException("write failed: " + e.getMessage(), e);
                }
            }
        };
    }

    /** Sends FIN: the peer reads end-of-stream while the other direction stays open. */
    void shutdownOutput() {
        Libc.C.shutdown(fd, Libc.SHUT_WR);
    }

    /**
     * Ends the connection the way a well-behaved peer does: sends FIN, then reads and drops whatever the peer still
     * sends until it closes too (at most {@value #FINISH_SECONDS} s), so that {@link #close()} finds no unread bytes,
     * which the kernel would answer with a reset. A capture then shows FIN both ways.
     */
    void finish() {
        try {
            shutdownOutput();
            Libc.C.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, new long[] {FINISH_SECONDS, 0}, 2 * Long.BYTES);
            try (Memory buffer = new Memory(STREAM_BUFFER)) {
                while (read(buffer, STREAM_BUFFER) > 0) {
                    // Dropped: the relay is over.
                }
            }
        } catch (LastErrorException e) {
            // Reset, already shut down, or the peer did not close in time: there is nothing more to wait for.
        }
    }

    /** Ends both directions, waking any thread blocked reading this socket. */
    void abort() {
        try {
            Libc.C.shutdown(fd, Libc.SHUT_RDWR);
        } catch (LastErrorException e) {
            // Already disconnected: nothing left to wake.
        }
    }

    @Override
    public void close() {
        Libc.C.close(fd);
    }
}
