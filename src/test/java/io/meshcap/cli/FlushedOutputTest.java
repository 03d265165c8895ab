package io.meshcap.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In {@link Main#main} meshcap prints through buffered writers over stdout and stderr that only {@code println}
 * flushes, and the JVM exits without flushing them: whatever a command prints last must be flushed by meshcap
 * itself, or it is lost. Here each command prints through writers that never flush on their own, and what reached
 * their streams must be all that the same command prints through auto-flushing writers ({@link CliRun}).
 */
class FlushedOutputTest {

    @TempDir
    Path dir;

    private static String resource(String name) throws Exception {
        return Path.of(FlushedOutputTest.class.getResource(name).toURI()).toString();
    }

    @Test
    void everythingACommandPrintsReachesItsStreamsWithoutTheCallerFlushing() throws Exception {
        String capture = resource("/k8s/lo-small.pcap");
        String merged = dir.resolve("merged.pcapng").toString();
        List<List<String>> commands = List.of(
                List.of("--version"),
                List.of("cidr", "192.168.0.0/12"),
                List.of("filter", "outbound-plain", "--pod-ip", "198.18.0.2", "--explain"),
                List.of("completion"),
                List.of("ports"),
                List.of("inspect", "--rules", resource("/rules/outbound-excludes.iptables-save")),
                List.of("streams", capture),
                List.of("merge", capture, "-o", merged),
                List.of("reassociate", capture, "-o", merged),
                // A usage error picocli finds, and one meshcap finds.
                List.of("cidr"),
                List.of("cidr", "banana"),
                // A failure.
                List.of("streams", dir.resolve("missing.pcap").toString()));
        for (List<String> command : commands) {
            String[] args = command.toArray(String[]::new);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exitCode = Main.run(new PrintWriter(new OutputStreamWriter(out, UTF_8)),
                    new PrintWriter(new OutputStreamWriter(err, UTF_8)), args);
            CliRun flushed = CliRun.of(args);
            assertEquals(flushed.exitCode(), exitCode, flushed.toString());
            assertEquals(flushed.out(), out.toString(UTF_8), "stdout of meshcap " + String.join(" ", command));
            assertEquals(flushed.err(), err.toString(UTF_8), "stderr of meshcap " + String.join(" ", command));
        }
    }
}
