package io.meshcap.lab;

import io.meshcap.lab.mtls.MeshTls;
import io.meshcap.lab.mtls.TlsConnection;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A lab server process: the application in the pod ({@code app}, plaintext: its sidecar terminates mTLS) or the
 * upstream services in the mesh ({@code upstream}, which terminate the pod sidecar's mTLS themselves, standing in
 * for their own sidecar, and take plaintext too, as Istio's default PERMISSIVE mode does). On each port it reads one HTTP request ({@link LabHttp}), answers with a
 * {@link ServerReport} and the request echoed back, and closes. Each answer is also logged to stdout, which the lab
 * redirects to the role's log file.
 *
 * <p>Usage: {@code ServerMain ROLE PORT[,PORT...] [TLS_DIRECTORY IDENTITY KEY_LOG]}; with the last three, every
 * connection is mTLS as {@link MeshTls} makes it. Prints {@value #READY} once every port listens.
 */
public final class ServerMain {

    static final String READY = "ready";
    private static final int BACKLOG = 64;
    private static final int IDLE_TIMEOUT_MILLIS = 10_000;
    private static final int PLAIN_ARGS = 2;
    private static final int TLS_ARGS = 5;

    private final String role;
    /** Null for plaintext. */
    private final MeshTls tls;

    private ServerMain(String role, MeshTls tls) {
        this.role = role;
        this.tls = tls;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != PLAIN_ARGS && args.length != TLS_ARGS) {
            System.err.println("usage: ServerMain ROLE PORT[,PORT...] [TLS_DIRECTORY IDENTITY KEY_LOG]");
            System.exit(2);
        }
        MeshTls tls = args.length == TLS_ARGS ? MeshTls.load(Path.of(args[2]), args[3], Path.of(args[4])) : null;
        ServerMain server = new ServerMain(args[0], tls);
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
        try {
            connection.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            PushbackInputStream in = new PushbackInputStream(connection.getInputStream());
            // PERMISSIVE, Istio's default: mTLS when the client starts a TLS handshake, plaintext otherwise.
            if (tls == null || !MeshTls.startsHandshake(in)) {
                answer(connection, in, connection.getOutputStream());
                return;
            }
            try (TlsConnection secure = tls.accept(in, connection.getOutputStream())) {
                answer(connection, secure.input(), secure.output());
            }
        } catch (IOException e) {
            System.out.println("connection from " + connection.getRemoteSocketAddress() + " failed: " + e.getMessage());
        } finally {
            CallEnd.finish(connection);
        }
    }

    /** Reads the request and answers it; the addresses reported are the socket's, whatever carries the bytes. */
    private void answer(Socket connection, InputStream in, OutputStream out) throws IOException {
        LabHttp.Message request = LabHttp.read(new BufferedInputStream(in));
        ServerReport report = new ServerReport(role,
                Endpoint.of(connection.getLocalAddress(), connection.getLocalPort()),
                Endpoint.of(connection.getInetAddress(), connection.getPort()),
                request.raw().length, Digests.sha256(request.raw()));
        out.write(LabHttp.response(report, request.header(LabHttp.REQUEST_ID), request.raw()));
        out.flush();
        System.out.println(report.value());
    }
}
