package io.meshcap.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One directory of owner records, a file per thing the tests make (a lab, a scratch namespace) named after it and
 * holding the test JVM that owns it ({@link TestOwner}). The record is written before anything of the thing exists
 * and outside it, so a JVM killed at any moment of making it (PIT's time limit, a SIGKILL) leaves nothing unowned;
 * the next test that makes one removes what gone owners left.
 */
public final class OwnerRecords {

    private final Path directory;

    public OwnerRecords(String directory) {
        this.directory = Path.of(directory);
    }

    /** The record of {@code name}. */
    public Path record(String name) {
        return directory.resolve(name);
    }

    /** Records this JVM as the owner of {@code name}, whole or not at all. */
    public void own(String name) {
        TestOwner.current().writeTo(record(name));
    }

    /** Forgets {@code name}'s owner, once the thing itself is removed. */
    public void disown(String name) {
        try {
            Files.deleteIfExists(record(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removes what each owner that is gone left ({@code remove} gets its name, and must also do for a thing that is
     * already gone or half made), then its record; returns their names. Records of live owners are kept.
     */
    public List<String> sweep(Consumer<String> remove) {
        List<String> swept = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return swept;
        }
        try (Stream<Path> records = Files.list(directory)) {
            for (Path record : records.filter(file -> !file.getFileName().toString().contains(".partial-")).toList()) {
                String name = record.getFileName().toString();
                if (TestOwner.sweepIfGone(record, () -> {
                    remove.accept(name);
                    disown(name);
                })) {
                    swept.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return swept;
    }
}
