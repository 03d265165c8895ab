package io.meshcap.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The few libc calls Java has no API for: SO_ORIGINAL_DST (a getsockopt on the accepted socket's descriptor, which
 * java.net never exposes), setns() for entering a network namespace on one thread, geteuid(), kill() for a signal the
 * JDK cannot send, memfd_create() for a file that exists only while a descriptor holds it, and pipe2() for a pipe whose
 * reading end meshcap owns. The lab's
 * stand-in sidecar does all of its socket work through these calls, so every descriptor it needs is its own. Sizes use {@link NativeLong}
 * where C has size_t/ssize_t; errors surface as {@link LastErrorException} carrying errno.
 */
public interface Libc extends Library {

    Libc C = Native.load("c", Libc.class);

    int AF_INET = 2;
    int AF_INET6 = 10;
    int SOCK_STREAM = 1;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_SOCKET = 1;
    int SO_REUSEADDR = 2;
    /** A receive timeout, a struct timeval (two longs on 64-bit Linux). */
    int SO_RCVTIMEO = 20;
    int SOL_IP = 0;
    int SOL_IPV6 = 41;
    /** SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and IP6T_SO_ORIGINAL_DST (linux/netfilter_ipv6/ip6_tables.h). */
    int SO_ORIGINAL_DST = 80;
    int IPV6_V6ONLY = 26;
    int SHUT_WR = 1;
    int SHUT_RDWR = 2;
    int CLONE_NEWNET = 0x40000000;
    int EINTR = 4;
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;
    /** open(2) of a named pipe for writing without waiting: no process has it open for reading. */
    int ENXIO = 6;

    int open(String path, int flags) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int setsockopt(int fd, int level, int name, int[] value, int length) throws LastErrorException;

    int setsockopt(int fd, int level, int name, long[] value, int length) throws LastErrorException;

    int getsockopt(int fd, int level, int name, byte[] value, int[] length) throws LastErrorException;

    int getsockname(int fd, byte[] address, int[] length) throws LastErrorException;

    int bind(int fd, byte[] address, int length) throws LastErrorException;

    int listen(int fd, int backlog) throws LastErrorException;

    int accept4(int fd, Pointer address, Pointer length, int flags) throws LastErrorException;

    int connect(int fd, byte[] address, int length) throws LastErrorException;

    NativeLong read(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    NativeLong write(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    int shutdown(int fd, int how) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    int geteuid();

    /** SIGUSR1: tcpdump answers it by printing its packet and drop counts on stderr. */
    int SIGUSR1 = 10;

    int kill(int pid, int signal) throws LastErrorException;

    /** memfd_create(2) flag: the descriptor is not inherited by the programs this JVM starts. */
    int MFD_CLOEXEC = 1;

    /** An anonymous in-memory file: no path, gone when its last descriptor closes (or its holders die). */
    int memfd_create(String name, int flags) throws LastErrorException;

    /** pipe(2) with flags: {@code fds[0]} becomes the reading end, {@code fds[1]} the writing end. */
    int pipe2(int[] fds, int flags) throws LastErrorException;

    /** poll(2) events: the descriptor is in error (a pipe whose reading end is closed), or hung up. */
    short POLLERR = 0x008;
    short POLLHUP = 0x010;

    /**
     * poll(2) on {@code nfds} struct pollfd, each two ints here: the descriptor, then events in the low and revents
     * in the high 16 bits of the second (the layout of {@code int fd; short events; short revents;} on a
     * little-endian machine).
     */
    int poll(int[] fds, NativeLong nfds, int timeoutMillis) throws LastErrorException;
}
