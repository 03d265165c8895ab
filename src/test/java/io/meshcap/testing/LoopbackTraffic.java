package io.meshcap.testing;

import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Bulk TCP traffic over a namespace's lo, for captures whose content does not matter but whose volume does. */
public final class LoopbackTraffic {

    private static final String LOOPBACK = "127.0.0.1";
    private static final int CHUNK = 64 << 10;
    private static final long TIMEOUT_SECONDS = 60;

    private LoopbackTraffic() {
    }

    /** Sends {@code bytes} from one socket to another over {@code namespace}'s lo, to 127.0.0.1:{@code port}. */
    public static void send(ScratchNamespace namespace, int port, long bytes) throws IOException {
        ServerSocket server;
        Socket client;
        Socket accepted;
        // Sockets belong to the namespace they are created in, whichever thread uses them afterwards.
        try (NamespaceThread inside = NamespaceThread.enter(NetworkNamespace.named(namespace.name()))) {
            server = inside.call(() -> new ServerSocket(port, 1, InetAddress.getByName(LOOPBACK)));
            client = inside.call(() -> new Socket(LOOPBACK, port));
            accepted = server.accept();
        }
        try (server; client; accepted) {
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> drain(accepted),
                    task -> new Thread(task, "loopback-traffic-receiver").start());
            byte[] chunk = new byte[CHUNK];
            OutputStream out = client.getOutputStream();
            for (long sent = 0; sent < bytes; sent += chunk.length) {
                out.write(chunk);
            }
            client.shutdownOutput();
            received.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IOException("the receiving side did not finish: " + e, e);
        }
    }

    private static long drain(Socket socket) {
        try (InputStream in = socket.getInputStream()) {
            return in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
