package io.meshcap.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Produces a small real capture: tcpdump on the host's lo records a few TCP echo exchanges on an ephemeral
 * port of 127.0.0.1. For tests of file handling that need genuine tcpdump output, not lab topology.
 */
public final class LoopbackCapture {

    private LoopbackCapture() {
    }

    /** Records {@code exchanges} request/response exchanges (each on its own connection) into {@code file}. */
    public static void record(Path file, int exchanges) throws IOException, InterruptedException {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            // -Z root: Debian's tcpdump otherwise switches to its own user and cannot write into a private temp dir.
            Process tcpdump = new ProcessBuilder("tcpdump", "-Z", "root", "--immediate-mode", "-U", "-n", "-i", "lo", "-w", file.toString(),
                    "tcp port " + port).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            awaitListening(tcpdump);
            Thread echo = new Thread(() -> serve(server, exchanges));
            echo.start();
            for (int i = 0; i < exchanges; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    client.getOutputStream().write(("request " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    client.getInputStream().readAllBytes();
                }
            }
            echo.join();
            awaitQuiet(file);
            tcpdump.destroy();
            if (!tcpdump.waitFor(10, TimeUnit.SECONDS)) {
                tcpdump.destroyForcibly();
                throw new AssertionError("tcpdump did not stop");
            }
        }
    }

    /** Waits until tcpdump has written everything: a stopped tcpdump drops what it has not read yet. */
    private static void awaitQuiet(Path file) throws IOException, InterruptedException {
        long size = -1;
        int unchanged = 0;
        for (int polls = 0; polls < 50 && unchanged < 3; polls++) {
            Thread.sleep(100);
            long now = java.nio.file.Files.size(file);
            unchanged = now == size ? unchanged + 1 : 0;
            size = now;
        }
    }

    private static void awaitListening(Process tcpdump) throws IOException {
        InputStream err = tcpdump.getErrorStream();
        StringBuilder said = new StringBuilder();
        int c;
        while ((c = err.read()) >= 0) {
            said.append((char) c);
            if (said.indexOf("listening on") >= 0) {
                Thread drain = new Thread(() -> {
                    try {
                        err.transferTo(OutputStream.nullOutputStream());
                    } catch (IOException ignored) {
                        // tcpdump ended
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return;
            }
        }
        throw new AssertionError("tcpdump failed to start: " + said);
    }

    private static void serve(ServerSocket server, int exchanges) {
        for (int i = 0; i < exchanges; i++) {
            try (Socket peer = server.accept()) {
                byte[] request = peer.getInputStream().readAllBytes();
                peer.getOutputStream().write(("echo " + new String(request, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** tshark's view of the file: one row per packet with the fields named. */
    public static List<List<String>> packets(Path file, String... fields) {
        return Tshark.fields(file, null, fields);
    }
}
