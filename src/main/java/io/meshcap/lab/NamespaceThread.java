package io.meshcap.lab;

import com.sun.jna.LastErrorException;
import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One thread that has entered a network namespace with setns(2); work submitted to it opens its sockets there.
 * setns changes only the calling thread's namespace, and Java threads are kernel threads, so the rest of the JVM
 * stays where it was. The thread is never handed back to a shared pool: closing this ends it.
 */
final class NamespaceThread implements AutoCloseable {

    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final ExecutorService executor;

    private NamespaceThread(ExecutorService executor) {
        this.executor = executor;
    }

    static NamespaceThread enter(String namespace) {
        ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "netns-" + namespace);
            thread.setDaemon(true);
            return thread;
        });
        NamespaceThread thread = new NamespaceThread(executor);
        try {
            thread.call(() -> {
                int fd = Libc.C.open(NETNS_DIR.resolve(namespace).toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
                try {
                    Libc.C.setns(fd, Libc.CLONE_NEWNET);
                } finally {
                    Libc.C.close(fd);
                }
                return null;
            });
        } catch (IOException | LastErrorException e) {
            thread.close();
            throw MeshcapException.failure("cannot enter network namespace " + namespace + " (" + e.getMessage()
                    + "): is the lab up? check with meshcap lab status", e);
        }
        return thread;
    }

    /** Runs a task on the namespace's thread and returns its result, rethrowing what it threw. */
    <T> T call(Callable<T> task) throws IOException {
        Future<T> result = executor.submit(task);
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while working in a lab namespace", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
