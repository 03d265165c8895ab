package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Real TLS 1.3 from OpenSSL's own tools ({@code openssl s_server} and {@code s_client}, writing NSS key logs with
 * {@code -keylogfile}), for tests that need genuine TLS traffic to capture: the secrets and records come from an
 * independent implementation, not from meshcap. {@link #record} makes a few HTTPS calls in one go; the rest starts
 * servers and clients (with client certificates, as Istio's mTLS has them) for tests that drive the traffic.
 */
public final class OpensslTls {

    private static final long TIMEOUT_SECONDS = 60;
    private static final Pattern ACCEPT = Pattern.compile("ACCEPT 127\\.0\\.0\\.1:(\\d+)");
    private static final String CURVE = "ec_paramgen_curve:P-256";
    private static final int MAX_SHOWN = 2000;
    private static final Pattern KEY_UPDATE = Pattern.compile("^KEYUPDATE$");

    private OpensslTls() {
    }

    /** A CA and a server and a client certificate it signed, as PEM files. */
    public record Pki(Path ca, Path serverCertificate, Path serverKey, Path clientCertificate, Path clientKey) {
    }

    /** Makes a CA and two certificates in {@code dir} with {@code openssl req} and {@code openssl x509}. */
    public static Pki pki(Path dir) {
        Path caKey = dir.resolve("ca.key");
        Path ca = dir.resolve("ca.pem");
        Tshark.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", CURVE, "-nodes", "-keyout",
                caKey.toString(), "-out", ca.toString(), "-days", "2", "-subj", "/CN=meshcap test CA");
        Path[] server = certificate(dir, "server", ca, caKey);
        Path[] client = certificate(dir, "client", ca, caKey);
        return new Pki(ca, server[0], server[1], client[0], client[1]);
    }

    private static Path[] certificate(Path dir, String name, Path ca, Path caKey) {
        Path key = dir.resolve(name + ".key");
        Path request = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".pem");
        Tshark.run("openssl", "req", "-newkey", "ec", "-pkeyopt", CURVE, "-nodes", "-keyout", key.toString(),
                "-out", request.toString(), "-subj", "/CN=" + name);
        Tshark.run("openssl", "x509", "-req", "-in", request.toString(), "-CA", ca.toString(), "-CAkey",
                caKey.toString(), "-CAcreateserial", "-out", certificate.toString(), "-days", "2");
        return new Path[] {certificate, key};
    }

    /** A running tool whose stdout lines are collected. */
    public static class Tool implements AutoCloseable {

        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder seen = new StringBuilder();

        Tool(List<String> command) throws IOException {
            // Both streams in one: s_client says KEYUPDATE on stderr, data arrive on stdout.
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.ISO_8859_1))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("(stdout failed: " + e + ")");
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for a stdout line matching {@code pattern} and returns its match. */
        public Matcher awaitLine(Pattern pattern) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    seen.append(line).append('\n');
                    Matcher matcher = pattern.matcher(line);
                    if (matcher.find()) {
                        return matcher;
                    }
                } else if (!process.isAlive() && lines.isEmpty()) {
                    break;
                }
            }
            String output = seen.length() > MAX_SHOWN ? "..." + seen.substring(seen.length() - MAX_SHOWN) : seen.toString();
            throw new AssertionError("no line matching " + pattern + " from " + process.info().command().orElse("")
                    + "; its output:\n" + output);
        }

        /**
         * Makes a client update its keys ({@code requested}: and ask the server to update its own), once the data
         * sent before are out: s_client takes a line starting with K or k as the command and drops the rest of
         * what it read with it.
         */
        public void keyUpdate(boolean requested) throws Exception {
            send(requested ? "K" : "k");
            awaitLine(KEY_UPDATE);
        }

        /** Writes one line to the tool's stdin. */
        public void send(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
            in.flush();
        }

        /** Closes stdin and waits for the tool to end by itself; stops it if it does not. */
        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** A started {@link #server}, once it listens. */
    public static final class Server extends Tool {

        private final int port;

        private Server(List<String> command) throws Exception {
            super(command);
            port = Integer.parseInt(awaitLine(ACCEPT).group(1));
        }

        public int port() {
            return port;
        }
    }

    /**
     * {@code openssl s_server} inside {@code namespace} listening on {@code accept} ({@code HOST:PORT} or a port),
     * asking for the client's certificate; what it receives comes out on its stdout, its stdin goes to the client.
     *
     * @param keyLog where it logs its secrets, or {@code null} for nowhere
     */
    public static List<String> serverArgv(ScratchNamespace namespace, Pki pki, String accept, Path keyLog,
                                          String... options) {
        List<String> command = namespace.command("openssl", "s_server", "-accept", accept, "-cert",
                pki.serverCertificate().toString(), "-key", pki.serverKey().toString(), "-CAfile", pki.ca().toString(),
                "-Verify", "1");
        if (keyLog != null) {
            command.addAll(List.of("-keylogfile", keyLog.toString()));
        }
        command.addAll(List.of(options));
        return command;
    }

    /** {@code openssl s_client} inside {@code namespace} with its certificate, connecting to {@code HOST:PORT}. */
    public static List<String> clientArgv(ScratchNamespace namespace, Pki pki, String connect, Path keyLog,
                                          String... options) {
        List<String> command = namespace.command("openssl", "s_client", "-connect", connect, "-cert",
                pki.clientCertificate().toString(), "-key", pki.clientKey().toString(), "-CAfile", pki.ca().toString(),
                "-keylogfile", keyLog.toString());
        command.addAll(List.of(options));
        return command;
    }

    /**
     * Starts a server on 127.0.0.1 (an ephemeral port) inside {@code namespace} for {@code accepts} connections.
     *
     * @param options more {@code s_server} options, e.g. {@code -rev} (echo each line reversed), {@code -tls1_3},
     *                {@code -ciphersuites SUITE}
     */
    public static Server server(ScratchNamespace namespace, Pki pki, Path keyLog, int accepts, String... options)
            throws Exception {
        List<String> command = serverArgv(namespace, pki, "127.0.0.1:0", keyLog, "-naccept",
                Integer.toString(accepts));
        command.addAll(List.of(options));
        return new Server(command);
    }

    /** Starts a client connected to 127.0.0.1:{@code port}; lines sent to it are sent as data. */
    public static Tool client(ScratchNamespace namespace, Pki pki, int port, Path keyLog, String... options)
            throws Exception {
        // Quiet, so that received data are lines of their own; still ending at EOF and taking K and k.
        List<String> command = clientArgv(namespace, pki, "127.0.0.1:" + port, keyLog, "-quiet", "-no_ign_eof");
        command.addAll(List.of(options));
        return new Tool(command);
    }


    /**
     * A capture and the key log of its connections.
     *
     * @param capture  tcpdump's pcap of every connection
     * @param keyLog   the key log OpenSSL's client wrote (one comment line, five secrets per connection)
     * @param requests the request URIs, one connection each
     */
    public record Recorded(Path capture, Path keyLog, List<String> requests) {
    }

    /** Makes {@code requests} HTTPS calls ({@code GET /call-N}), each on its own connection, and records them. */
    public static Recorded record(Path dir, int requests) throws Exception {
        Path key = dir.resolve("server-key.pem");
        Path certificate = dir.resolve("server.pem");
        CommandRunner.check("openssl req failed", List.of("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=meshcap-test", "-days", "1",
                "-keyout", key.toString(), "-out", certificate.toString()));
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path capture = dir.resolve("tls.pcap");
        Path keyLog = dir.resolve("client-keys.log");
        List<String> uris = IntStream.rangeClosed(1, requests).mapToObj(i -> "/call-" + i).toList();
        try (LoopbackCapture recording = new LoopbackCapture(capture, "tcp port " + port)) {
            Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                    "-cert", certificate.toString(), "-key", key.toString(), "-tls1_3", "-www",
                    "-naccept", Integer.toString(requests))
                    .redirectErrorStream(true).start();
            try {
                awaitAccepting(server);
                for (String uri : uris) {
                    call(port, uri, keyLog);
                }
                if (!server.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("openssl s_server did not end after " + requests + " connections");
                }
            } finally {
                server.destroyForcibly();
            }
        }
        return new Recorded(capture, keyLog, uris);
    }

    /** s_server prints ACCEPT on stdout once it listens. */
    private static void awaitAccepting(Process server) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
                StandardCharsets.US_ASCII));
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.equals("ACCEPT")) {
                Thread drain = new Thread(() -> {
                    try {
                        out.transferTo(Writer.nullWriter());
                    } catch (IOException e) {
                        // The server is gone: nothing more to read.
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return;
            }
        }
        throw new AssertionError("openssl s_server exited before it listened");
    }

    private static void call(int port, String uri, Path keyLog) throws Exception {
        Process client = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "meshcap.test", "-keylogfile", keyLog.toString(), "-ign_eof", "-quiet")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        client.getOutputStream().write(("GET " + uri + " HTTP/1.1\r\nHost: meshcap.test\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().close();
        String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (!client.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) || !response.startsWith("HTTP/1.0 200")) {
            client.destroyForcibly();
            throw new AssertionError("openssl s_client got no answer for " + uri + ": " + response);
        }
    }
}
