package io.meshcap.capture;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * What was learnt about each target during a capture (its rules, sockets, addresses, the commands run), kept
 * next to the pcapng in {@code OUTPUT.meta/TARGET/NAME.txt}: private, like the capture itself.
 */
public final class MetadataBundle {

    private MetadataBundle() {
    }

    /** The bundle directory for a capture file: {@code capture.pcapng} → {@code capture.pcapng.meta}. */
    public static Path directoryFor(Path output) {
        return output.resolveSibling(output.getFileName() + ".meta");
    }

    /**
     * Where a capture that has no file (streamed with {@code -o -} alone) keeps its bundles: meshcap's own directory
     * in the user's cache, {@code $XDG_CACHE_HOME/meshcap} or {@code ~/.cache/meshcap}, so a stream started
     * anywhere leaves nothing in the current directory. Created 0700 when missing.
     *
     * @param environment the process environment
     * @param home        the user's home directory
     */
    public static Path streamedCaptures(Map<String, String> environment, Path home) {
        String cache = environment.get("XDG_CACHE_HOME");
        // The XDG base directory specification ignores a relative path.
        Path base = cache != null && Path.of(cache).isAbsolute() ? Path.of(cache) : home.resolve(".cache");
        Path directory = base.resolve("meshcap");
        try {
            Files.createDirectories(base);
            createPrivateDirectory(directory);
            return directory;
        } catch (IOException e) {
            throw MeshcapException.failure("cannot create " + directory + " for the pod's metadata of a streamed"
                    + " capture: " + e.getMessage() + "; set XDG_CACHE_HOME to a writable directory, or keep the"
                    + " capture with -o FILE --live -", e);
        }
    }

    /** Writes one target's files; names are sanitised, files are 0600 in 0700 directories. */
    public static Path write(Path output, String target, Map<String, String> files) {
        Path directory = directoryFor(output).resolve(safe(target));
        try {
            createPrivateDirectory(directoryFor(output));
            createPrivateDirectory(directory);
            for (Map.Entry<String, String> file : files.entrySet()) {
                Path path = directory.resolve(safe(file.getKey()));
                Files.deleteIfExists(path);
                Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            }
            return directory;
        } catch (IOException e) {
            throw MeshcapException.failure("cannot write the metadata bundle " + directory + ": " + e.getMessage(), e);
        }
    }

    private static void createPrivateDirectory(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
