package io.meshcap.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small real capture: tcpdump on the host's {@code lo} while the test sends traffic to 127.0.0.1. For tests of
 * file handling that need genuine tcpdump output, not lab topology. Closing it waits until tcpdump has written
 * everything it saw, then stops it.
 */
public final class LoopbackCapture implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 30;
    /** A counted capture still short of its count this long after the traffic has missed a packet. */
    private static final long COUNT_WAIT_SECONDS = 5;
    private static final long QUIET_POLL_MILLIS = 100;
    private static final int QUIET_POLLS = 10;
    private static final int MAX_POLLS = 100;
    private static final int BACKLOG = 50;

    private final Path file;
    private final String[] options;
    private final Process tcpdump;
    private final StderrWatch stderr;

    /** Starts {@code tcpdump -i lo -w FILE [options...] FILTER} and returns once it listens. */
    public LoopbackCapture(Path file, String filter, String... options) throws IOException {
        this.file = file;
        this.options = options.clone();
        // -Z root: Debian's tcpdump otherwise switches to its own user and cannot write into a private temp dir.
        // --immediate-mode and -U: every packet reaches the file as soon as it is seen.
        List<String> command = new ArrayList<>(List.of("tcpdump", "-Z", "root", "--immediate-mode", "-U", "-n",
                "-i", "lo", "-w", file.toString()));
        command.addAll(List.of(options));
        command.add(filter);
        tcpdump = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        stderr = StderrWatch.start(tcpdump, "listening on");
        try {
            stderr.awaitMarker(TIMEOUT_SECONDS);
        } catch (Exception e) {
            tcpdump.destroyForcibly();
            throw new IOException("tcpdump did not start listening", e);
        }
        if (!tcpdump.isAlive() && tcpdump.exitValue() != 0) {
            throw new AssertionError("tcpdump failed to start: " + stderr.text().join());
        }
    }

    /** A capture of UDP to {@code port} that ends by itself after {@code count} packets. */
    public static LoopbackCapture udp(Path file, int port, int count, String... options) throws IOException {
        List<String> all = new ArrayList<>(List.of("-c", Integer.toString(count)));
        all.addAll(List.of(options));
        return new LoopbackCapture(file, "udp port " + port, all.toArray(String[]::new));
    }

    /** Sends one datagram of {@code size} bytes to 127.0.0.1:port. */
    public static void send(int port, int size) throws IOException {
        try (DatagramSocket socket = new DatagramSocket()) {
            byte[] payload = new byte[size];
            for (int i = 0; i < size; i++) {
                payload[i] = (byte) i;
            }
            socket.send(new DatagramPacket(payload, size, InetAddress.getLoopbackAddress(), port));
        }
    }

    /** Records {@code exchanges} TCP request/response exchanges (each on its own connection) into {@code file}. */
    public static void record(Path file, int exchanges) throws Exception {
        try (ServerSocket server = new ServerSocket(0, BACKLOG, InetAddress.getLoopbackAddress());
                LoopbackCapture capture = new LoopbackCapture(file, "tcp port " + server.getLocalPort())) {
            Thread echo = new Thread(() -> serve(server, exchanges));
            echo.start();
            for (int i = 0; i < exchanges; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    client.getOutputStream().write(("request " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    client.getInputStream().readAllBytes();
                }
            }
            echo.join();
        }
    }

    /**
     * A capture with a packet count ({@code -c}) is waited for until it ends by itself; one that missed a packet
     * (a loaded machine can) and any other capture wait until the file stops growing, then tcpdump is stopped.
     * Tests judge against what the file holds, not against what was sent.
     */
    @Override
    public void close() throws Exception {
        if (List.of(options).contains("-c") && tcpdump.waitFor(COUNT_WAIT_SECONDS, TimeUnit.SECONDS)) {
            checkExit();
            return;
        }
        // A stopped tcpdump drops what it has not read yet, so it is only stopped once the file is quiet.
        long size = -1;
        int unchanged = 0;
        for (int polls = 0; polls < MAX_POLLS && unchanged < QUIET_POLLS && tcpdump.isAlive(); polls++) {
            Thread.sleep(QUIET_POLL_MILLIS);
            long now = Files.exists(file) ? Files.size(file) : 0;
            unchanged = now == size ? unchanged + 1 : 0;
            size = now;
        }
        tcpdump.destroy();
        if (!tcpdump.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            tcpdump.destroyForcibly();
            throw new AssertionError("tcpdump did not finish: " + stderr.text().getNow(""));
        }
        checkExit();
    }

    private void checkExit() throws Exception {
        if (tcpdump.exitValue() != 0) {
            throw new AssertionError("tcpdump failed: " + stderr.text().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
    }

    private static void serve(ServerSocket server, int exchanges) {
        for (int i = 0; i < exchanges; i++) {
            try (Socket peer = server.accept()) {
                byte[] request = peer.getInputStream().readAllBytes();
                peer.getOutputStream().write(("echo " + new String(request, StandardCharsets.US_ASCII))
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
