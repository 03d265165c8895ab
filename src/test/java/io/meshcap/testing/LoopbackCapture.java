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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small real capture: tcpdump on the host's {@code lo} while the test sends traffic to 127.0.0.1. For tests of
 * file handling that need genuine tcpdump output, not lab topology. Closing it waits until tcpdump has written
 * every packet the kernel handed it, then stops it.
 *
 * <p>Two things made such recordings come out short on a loaded machine, and both are handled here. The kernel
 * ring is a handful of blocks of snaplen size (libpcap's 2 MiB default): a tcpdump not scheduled for a few
 * milliseconds had the kernel drop most of a burst (seen: 16 of 50 packets kept, "68 packets dropped by kernel"),
 * so the ring is made large and a recording that still lost packets is made again. And "the file stopped growing"
 * is no proof that tcpdump has caught up, so closing asks tcpdump itself (SIGUSR1) until its counts say every
 * packet the kernel queued has been written.
 */
public final class LoopbackCapture implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 120;
    /** A counted capture still short of its count this long after the traffic has missed a packet. */
    private static final long COUNT_WAIT_SECONDS = 5;
    private static final long POLL_MILLIS = 20;
    /** 32 MiB of kernel ring: over a hundred blocks, where the default has eight. */
    private static final String RING_KIB = "32768";
    private static final int RECORD_ATTEMPTS = 3;
    private static final int BACKLOG = 50;
    /** What tcpdump prints when it ends. */
    private static final Pattern FINAL_DROPS = Pattern.compile("^(\\d+) packets? dropped by kernel$", Pattern.MULTILINE);

    private final String[] options;
    private final String device;
    private final Process tcpdump;
    private final Path stderr;
    private final DatagramSocket receiver;
    /** tcpdump's counts once it listened: what came before its filter is counted but never written. */
    private final TcpdumpCounts baseline;
    /** tcpdump's messages once it has ended (its log file is gone then). */
    private String finalMessages;

    /** Starts {@code tcpdump -i lo -w FILE [options...] FILTER} and returns once it listens. */
    public LoopbackCapture(Path file, String filter, String... options) throws IOException {
        this(List.of(), "lo", file, filter, null, options);
    }

    /** The same inside the network namespace {@code namespace} (one the test created), on its {@code device}. */
    public static LoopbackCapture inNamespace(String namespace, String device, Path file, String filter)
            throws IOException {
        return new LoopbackCapture(List.of("ip", "netns", "exec", namespace), device, file, filter, null);
    }

    private LoopbackCapture(List<String> prefix, String device, Path file, String filter, DatagramSocket receiver,
                            String... options) throws IOException {
        this.options = options.clone();
        this.device = device;
        this.receiver = receiver;
        // -Z root: Debian's tcpdump otherwise switches to its own user and cannot write into a private temp dir.
        // --immediate-mode and -U: every packet reaches the file as soon as it is seen.
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("tcpdump", "-Z", "root", "--immediate-mode", "-U", "-n",
                "-B", RING_KIB, "-i", device, "-w", file.toString()));
        command.addAll(List.of(options));
        command.add(filter);
        // tcpdump's messages go to a file: the JDK closes a child's stderr pipe when it exits, losing the final counts.
        stderr = Files.createTempFile("loopback-capture-", ".log",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        tcpdump = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!messages().contains("listening on")) {
            if (!tcpdump.isAlive() || System.nanoTime() > deadline) {
                tcpdump.destroyForcibly();
                throw new AssertionError("tcpdump did not start listening: " + messages());
            }
            pause();
        }
        try {
            baseline = TcpdumpCounts.ask(tcpdump, this::messages, TIMEOUT_SECONDS);
        } catch (IOException | RuntimeException | Error e) {
            tcpdump.destroyForcibly();
            throw e;
        }
    }

    /**
     * A capture of UDP to a port of its own ({@link #port()}, held open so that nothing else on the machine sends
     * there) that ends by itself after {@code count} packets.
     */
    public static LoopbackCapture udp(Path file, int count, String... options) throws IOException {
        DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        List<String> all = new ArrayList<>(List.of("-c", Integer.toString(count)));
        all.addAll(List.of(options));
        try {
            return new LoopbackCapture(List.of(), "lo", file, "udp port " + receiver.getLocalPort(), receiver,
                    all.toArray(String[]::new));
        } catch (IOException | RuntimeException | Error e) {
            receiver.close();
            throw e;
        }
    }

    /** The UDP port a {@link #udp} capture listens to. */
    public int port() {
        return receiver.getLocalPort();
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

    /**
     * Records {@code exchanges} TCP request/response exchanges (each on its own connection) into {@code file},
     * every packet of them: a recording the kernel dropped packets of is made again.
     */
    public static void record(Path file, int exchanges) throws Exception {
        long dropped = 0;
        for (int attempt = 0; attempt < RECORD_ATTEMPTS; attempt++) {
            dropped = recordOnce(file, exchanges);
            if (dropped == 0) {
                return;
            }
        }
        throw new AssertionError("tcpdump dropped " + dropped + " packets in each of " + RECORD_ATTEMPTS + " recordings");
    }

    private static long recordOnce(Path file, int exchanges) throws Exception {
        LoopbackCapture capture;
        try (ServerSocket server = new ServerSocket(0, BACKLOG, InetAddress.getLoopbackAddress())) {
            capture = new LoopbackCapture(file, "tcp port " + server.getLocalPort());
            try (capture) {
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
        return capture.droppedByKernel();
    }

    /**
     * A capture with a packet count ({@code -c}) is waited for until it ends by itself; one that missed a packet
     * (a loaded machine can) and any other capture are stopped once tcpdump has written all it was handed.
     * Tests judge against what the file holds, not against what was sent.
     */
    @Override
    public void close() throws Exception {
        try {
            if (!(List.of(options).contains("-c") && tcpdump.waitFor(COUNT_WAIT_SECONDS, TimeUnit.SECONDS))) {
                // A stopped tcpdump drops what it has not read yet, so it is only stopped once it has written all
                // it was handed (or lost some: a recording with drops is made again).
                TcpdumpCounts.awaitSettled(tcpdump, this::messages, device, baseline, TIMEOUT_SECONDS);
                tcpdump.destroy();
                if (!tcpdump.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    tcpdump.destroyForcibly();
                    throw new AssertionError("tcpdump did not finish: " + messages());
                }
            }
            if (tcpdump.exitValue() != 0) {
                throw new AssertionError("tcpdump failed: " + messages());
            }
        } finally {
            // A capture that failed to stop is stopped all the same: nothing left running, and closing it again fails
            // at once instead of waiting on the same tcpdump.
            tcpdump.destroyForcibly();
            if (receiver != null) {
                receiver.close();
            }
            finalMessages = messages();
            Files.deleteIfExists(stderr);
        }
    }

    /** Packets the kernel dropped, as tcpdump said when it ended. */
    private long droppedByKernel() {
        Matcher drops = FINAL_DROPS.matcher(finalMessages);
        return drops.find() ? Long.parseLong(drops.group(1)) : 0;
    }

    private String messages() throws IOException {
        return finalMessages != null ? finalMessages : Files.readString(stderr, StandardCharsets.UTF_8);
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
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
