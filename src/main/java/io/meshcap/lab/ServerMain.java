package io.meshcap.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A lab server process: the application in the pod ({@code app}) or the upstream services in the mesh
 * ({@code upstream}). On each port it reads a request until the client half-closes, then answers with a
 * {@link ServerReport} line and the request echoed back, and closes. Each answer is also logged to stdout,
 * which the lab redirects to the role's log file.
 *
 * <p>Usage: {@code ServerMain ROLE PORT[,PORT...]}. Prints {@value #READY} once every port listens.
 */
public final class ServerMain {

    static final String READY = "ready";
    /** Lab requests are a few kilobytes; anything far larger is not lab traffic. */
    private static final int MAX_REQUEST = 1 << 20;
    private static final int BACKLOG = 64;
    private static final int IDLE_TIMEOUT_MILLIS = 10_000;

    private final String role;

    private ServerMain(String role) {
        this.role = role;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ServerMain ROLE PORT[,PORT...]");
            System.exit(2);
        }
        ServerMain server = new ServerMain(args[0]);
        List<ServerSocket> listeners = new ArrayList<>();
        for (String port : args[1].split(",")) {
            // The wildcard socket is dual-stack: it serves IPv4 and, when the namespace has it, IPv6.
            ServerSocket listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(Integer.parseInt(port)), BACKLOG);
            listeners.add(listener);
        }
        for (ServerSocket listener : listeners) {
            Thread thread = new Thread(() -> server.acceptLoop(listener), "accept-" + listener.getLocalPort());
            thread.start();
        }
        System.out.println(READY);
    }

    private void acceptLoop(ServerSocket listener) {
        while (true) {
            try {
                Socket connection = listener.accept();
                Thread worker = new Thread(() -> serve(connection), "serve-" + connection.getPort());
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                System.out.println("accept failed on port " + listener.getLocalPort() + ": " + e.getMessage());
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            connection.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            byte[] request = readUntilEof(connection.getInputStream());
            ServerReport report = new ServerReport(role,
                    Endpoint.of(connection.getLocalAddress(), connection.getLocalPort()),
                    Endpoint.of(connection.getInetAddress(), connection.getPort()),
                    request.length, Digests.sha256(request));
            OutputStream out = connection.getOutputStream();
            out.write(report.line().getBytes(StandardCharsets.US_ASCII));
            out.write(request);
            out.flush();
            System.out.print(report.line());
        } catch (IOException e) {
            System.out.println("connection from " + connection.getRemoteSocketAddress() + " failed: " + e.getMessage());
        }
    }

    private static byte[] readUntilEof(InputStream in) throws IOException {
        byte[] request = in.readNBytes(MAX_REQUEST + 1);
        if (request.length > MAX_REQUEST) {
            throw new IOException("request larger than " + MAX_REQUEST + " bytes");
        }
        return request;
    }
}
