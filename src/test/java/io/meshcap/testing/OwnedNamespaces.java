package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The scratch network namespaces tests make, each recorded with the JVM that owns it ({@link TestOwner}) in
 * {@value #OWNERS_PATH}, so that those a killed test JVM left behind are removed by the next test that makes one.
 */
public final class OwnedNamespaces {

    private static final String OWNERS_PATH = "/run/meshcap/test-netns";
    static final Path OWNERS = Path.of(OWNERS_PATH);

    private OwnedNamespaces() {
    }

    /** Removes the namespaces of owners that are gone, then makes {@code name}, owned by this JVM. */
    public static void add(String name) {
        sweepDeadRuns();
        // Recorded first, so that a kill right after the namespace exists still leaves it owned.
        TestOwner.current().writeTo(OWNERS.resolve(name));
        Tshark.run("ip", "netns", "add", name);
    }

    /** Deletes {@code name} and its record. */
    public static void delete(String name) {
        CommandRunner.run(List.of("ip", "netns", "del", name));
        try {
            Files.deleteIfExists(OWNERS.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deletes every recorded namespace whose owner is gone, after stopping what still runs in it (a tcpdump the dead
     * JVM started keeps a namespace alive after {@code ip netns del}); returns their names. Namespaces without a
     * record, or of a live owner, are left alone.
     */
    public static List<String> sweepDeadRuns() {
        List<String> swept = new ArrayList<>();
        if (!Files.isDirectory(OWNERS)) {
            return swept;
        }
        try (Stream<Path> records = Files.list(OWNERS)) {
            for (Path record : records.filter(file -> !file.getFileName().toString().contains(".partial-")).toList()) {
                String name = record.getFileName().toString();
                if (TestOwner.sweepIfGone(record, () -> remove(name))) {
                    swept.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return swept;
    }

    private static void remove(String name) {
        CommandRunner.Result pids = CommandRunner.run(List.of("ip", "netns", "pids", name));
        if (pids.ok()) {
            pids.stdout().lines().map(String::strip).filter(line -> !line.isEmpty()).map(Long::parseLong)
                    .map(ProcessHandle::of).flatMap(Optional::stream).forEach(ProcessHandle::destroyForcibly);
        }
        delete(name);
    }
}
