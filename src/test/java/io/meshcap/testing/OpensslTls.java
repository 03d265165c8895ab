package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * A real TLS 1.3 capture with its key log, made by tools independent of meshcap: OpenSSL's {@code s_server -www}
 * and {@code s_client -keylogfile} exchange HTTP requests on 127.0.0.1 while tcpdump records them. What Wireshark
 * decrypts from such a pair is the ground truth for meshcap's handling of key logs.
 */
public final class OpensslTls {

    private static final long TIMEOUT_SECONDS = 30;

    /**
     * A capture and the key log of its connections.
     *
     * @param capture  tcpdump's pcap of every connection
     * @param keyLog   the key log OpenSSL's client wrote (one comment line, five secrets per connection)
     * @param requests the request URIs, one connection each
     */
    public record Recorded(Path capture, Path keyLog, List<String> requests) {
    }

    private OpensslTls() {
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
