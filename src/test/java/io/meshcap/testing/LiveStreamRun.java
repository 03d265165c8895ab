package io.meshcap.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A live capture read as a user reads it: {@code meshcap ... -o - | tee stream.pcapng | tshark -l -r -}, tshark's
 * lines collected as it prints them.
 */
public final class LiveStreamRun {

    private static final Duration HANG_GUARD = Duration.ofSeconds(90);

    public final Process meshcap;
    public final Process tee;
    public final Process tshark;
    /** Everything meshcap wrote on standard output. */
    public final Path stream;
    private final Path err;
    /** tshark's lines: interface, then source and destination as {@code address:port}. */
    public final List<String> seen = new CopyOnWriteArrayList<>();
    private final List<ProcessHandle> tcpdumps = new ArrayList<>();

    /** Starts {@code meshcap ARGS} in {@code dir}, with its temporary directory {@code dir/tmp} and its stderr there. */
    public LiveStreamRun(Path dir, String... args) throws IOException {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        List<String> argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
                "io.meshcap.cli.Main"));
        argv.addAll(List.of(args));
        stream = dir.resolve("stream.pcapng");
        err = dir.resolve("stderr.txt");
        ProcessBuilder child = new ProcessBuilder(argv).directory(dir.toFile()).redirectError(err.toFile());
        // Its working directory and its cache (a streamed pod capture's metadata) are the test's own.
        child.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(child,
                new ProcessBuilder("tee", stream.toString()).redirectError(ProcessBuilder.Redirect.DISCARD),
                new ProcessBuilder("tshark", "-l", "-n", "-r", "-", "-T", "fields", "-e", "frame.interface_name",
                        "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport")
                        .redirectError(ProcessBuilder.Redirect.DISCARD)));
        meshcap = pipeline.get(0);
        tee = pipeline.get(1);
        tshark = pipeline.get(2);
        Thread lines = new Thread(this::collect, "test-tshark-lines");
        lines.setDaemon(true);
        lines.start();
    }

    private void collect() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(tshark.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String[] f = line.split("\t", -1);
                if (f.length == 5 && !f[2].isEmpty()) {
                    seen.add(Tshark.leg(f[0]) + " " + f[1] + ":" + f[2] + ">" + f[3] + ":" + f[4]);
                }
            }
        } catch (IOException e) {
            // tshark ended.
        }
    }

    /** What meshcap printed on stderr so far. */
    public String err() throws IOException {
        return Files.readString(err);
    }

    /** Waits for {@code condition} while meshcap runs; fails if meshcap ends or the hang guard passes first. */
    public void await(BooleanSupplier condition, String what) throws Exception {
        await(condition, what, HANG_GUARD);
    }

    /** Waits for {@code condition} while meshcap runs; fails if meshcap ends or {@code within} passes first. */
    public void await(BooleanSupplier condition, String what, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(meshcap.isAlive(), "meshcap ended before " + what + ":\n" + err());
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + within.toSeconds()
                    + " s; the stream showed " + seen + "\n" + err());
            Thread.sleep(20);
        }
    }

    /** Waits until every leg listens, and notes this run's own local tcpdumps: {@code tcpdumps} of them. */
    public void awaitCapturing(int tcpdumpCount) throws Exception {
        await(() -> {
            try {
                return err().contains("meshcap: capturing");
            } catch (IOException e) {
                return false;
            }
        }, "'capturing'");
        meshcap.descendants().filter(p -> p.info().command().orElse("").endsWith("/tcpdump")).forEach(tcpdumps::add);
        assertEquals(tcpdumpCount, tcpdumps.size(), "one tcpdump per local leg: " + tcpdumps);
    }

    /** Its exit code, once it has ended. */
    public int awaitExit() throws Exception {
        assertTrue(meshcap.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS), "meshcap did not end:\n" + err());
        return meshcap.exitValue();
    }

    /** The tcpdumps this run started have all ended. */
    public void assertNothingLeftRunning() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tcpdumps.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), tcpdumps.stream().filter(ProcessHandle::isAlive).toList(), "tcpdump left running");
    }

    /** The programs reading the stream exit, as a closed Wireshark does. */
    public void stopReading() throws InterruptedException {
        tshark.destroy();
        tee.destroy();
        assertTrue(tee.waitFor(30, TimeUnit.SECONDS));
    }
}
