package io.meshcap.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.MeshcapException;
import io.meshcap.lab.mtls.LabPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
    private static final String READABLE_FILE = "rw-r--r--";
    private static final String OWNER_ONLY = "rw-------";
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

    /** The lab's certificates and keys ({@link LabPki}). */
    Path tlsDirectory() {
        return dir.resolve("tls");
    }

    /** The NSS key log every TLS endpoint of the lab appends its secrets to (mode 0600, owned by the proxy uid). */
    Path keyLog() {
        return dir.resolve("tls-keys.log");
    }

    /**
     * Makes the lab's certificates and an empty key log, once: the sidecar (as the proxy uid) may read its own key
     * and append to the key log; the mesh's key is root's. Certificates are world-readable, keys and secrets not.
     */
    void createTls(int proxyUid) {
        Path tls = tlsDirectory();
        if (Files.isRegularFile(tls.resolve(LabPki.CA_FILE))) {
            return;
        }
        try {
            Files.createDirectories(tls);
            Files.setPosixFilePermissions(tls, PosixFilePermissions.fromString(SHARED_DIRECTORY));
            LabPki.create(tls, LabTopology.POD_IDENTITY, LabTopology.MESH_IDENTITY);
            for (String identity : new String[] {LabTopology.POD_IDENTITY, LabTopology.MESH_IDENTITY}) {
                Files.setPosixFilePermissions(LabPki.certificateFile(tls, identity),
                        PosixFilePermissions.fromString(READABLE_FILE));
                Files.setPosixFilePermissions(LabPki.keyFile(tls, identity),
                        PosixFilePermissions.fromString(OWNER_ONLY));
            }
            Files.setPosixFilePermissions(tls.resolve(LabPki.CA_FILE), PosixFilePermissions.fromString(READABLE_FILE));
            ownedBy(LabPki.keyFile(tls, LabTopology.POD_IDENTITY), proxyUid);
            if (!Files.exists(keyLog())) {
                Files.createFile(keyLog(), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString(OWNER_ONLY)));
            }
            ownedBy(keyLog(), proxyUid);
        } catch (IOException e) {
            throw MeshcapException.failure("cannot make the lab's certificates in " + tls + ": " + e.getMessage(), e);
        }
    }

    private static void ownedBy(Path file, int uid) throws IOException {
        Files.setAttribute(file, "unix:uid", uid);
        Files.setAttribute(file, "unix:gid", uid);
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

    /** Deletes the directory and all in it; what another remover of the same lab deleted first is not missed. */
    void delete() {
        if (!exists()) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
                    if (failure instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw failure;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
                    if (failure != null && !(failure instanceof NoSuchFileException)) {
                        throw failure;
                    }
                    Files.deleteIfExists(directory);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // The directory itself went while this walk started: another remover finished first.
        } catch (IOException e) {
            throw MeshcapException.failure("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
