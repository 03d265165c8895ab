package io.meshcap.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Real captures: tcpdump on loopback while the test sends UDP datagrams to 127.0.0.1. */
public final class LoopbackCapture implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 30;

    private final Process tcpdump;
    private final CompletableFuture<String> stderr = new CompletableFuture<>();

    /**
     * Starts {@code tcpdump -i lo -w FILE -c COUNT udp port PORT [extra...]} and returns once it listens.
     */
    public LoopbackCapture(Path file, int port, int count, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of("tcpdump", "-i", "lo", "-U", "-w", file.toString(),
                "-c", Integer.toString(count)));
        command.addAll(List.of(extra));
        command.addAll(List.of("udp", "port", Integer.toString(port)));
        tcpdump = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        CompletableFuture<Void> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            StringBuilder all = new StringBuilder();
            try (BufferedReader err = new BufferedReader(new InputStreamReader(tcpdump.getErrorStream()))) {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    all.append(line).append('\n');
                    if (line.contains("listening on")) {
                        listening.complete(null);
                    }
                }
            } catch (IOException e) {
                all.append(e);
            }
            listening.complete(null);
            stderr.complete(all.toString());
        });
        reader.setDaemon(true);
        reader.start();
        try {
            listening.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            tcpdump.destroyForcibly();
            throw new IOException("tcpdump did not start listening", e);
        }
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

    /** Waits for tcpdump to have written its packets and exit. */
    @Override
    public void close() throws Exception {
        if (!tcpdump.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            tcpdump.destroyForcibly();
            throw new AssertionError("tcpdump did not finish: " + stderr.getNow(""));
        }
        if (tcpdump.exitValue() != 0) {
            throw new AssertionError("tcpdump failed: " + stderr.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
    }
}
