package io.meshcap.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.MeshcapException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * A lab's state on disk, {@code /run/meshcap/lab/<name>/}: the config it was brought up with, a pid file and a log
 * per background process, and the class path staged for them. /run is cleared at boot, like the namespaces.
 */
final class RunDirectory {

    static final Path ROOT = Path.of("/run/meshcap/lab");
    /** World-readable and traversable: the sidecar, running as the proxy uid, loads its classes from here. */
    private static final String SHARED_DIRECTORY = "rwxr-xr-x";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    static RunDirectory of(String labName) {
        return new RunDirectory(ROOT.resolve(labName));
    }

    Path path() {
        return dir;
    }

    boolean exists() {
        return Files.isDirectory(dir);
    }

    Path pidFile(LabRole role) {
        return dir.resolve(role.id() + ".pid");
    }

    Path log(LabRole role) {
        return dir.resolve(role.id() + ".log");
    }

    /** Where the class path for the background processes is staged. */
    Path classpath() {
        return dir.resolve("classpath");
    }

    /** A scratch directory owned by the proxy uid (JNA unpacks its native library there). */
    Path sidecarScratch() {
        return dir.resolve("sidecar-tmp");
    }

    void create() {
        try {
            for (Path path : new Path[] {ROOT.getParent(), ROOT, dir}) {
                Files.createDirectories(path);
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(SHARED_DIRECTORY));
            }
        } catch (IOException e) {
            throw MeshcapException.failure("cannot create the lab's run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    Optional<LabConfig> readConfig() {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), LabConfig.class));
        } catch (IOException e) {
            throw MeshcapException.failure("cannot read " + file + " (" + e.getMessage() + "): remove the lab with"
                    + " meshcap lab down --name " + dir.getFileName(), e);
        }
    }

    void writeConfig(LabConfig config) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Optional<Long> readPid(LabRole role) {
        Path file = pidFile(role);
        try {
            return Files.isRegularFile(file) ? Optional.of(Long.parseLong(Files.readString(file).strip()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    void writePid(LabRole role, long pid) {
        try {
            Files.writeString(pidFile(role), pid + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void delete() {
        if (!exists()) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
                    Files.delete(directory);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw MeshcapException.failure("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
