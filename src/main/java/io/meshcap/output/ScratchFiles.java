package io.meshcap.output;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Creates the private (0600/0700) scratch files a run keeps beside its output ({@link ScratchName}), and removes the
 * ones still pending when the JVM is stopped by Ctrl-C or SIGTERM: a Java {@code finally} does not run then, a
 * shutdown hook does. (A capture takes those signals itself and finishes its output first; see
 * {@code capture.StopSignal}.) SIGKILL leaves the files; the next run reports them ({@link Leftovers}).
 */
public final class ScratchFiles {

    private static final FileAttribute<?> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> PRIVATE_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final int ATTEMPTS = 10;
    private static final Set<Pending> PENDING = ConcurrentHashMap.newKeySet();
    private static final Thread HOOK = new Thread(ScratchFiles::removePending, "meshcap-scratch-cleanup");

    static {
        try {
            Runtime.getRuntime().addShutdownHook(HOOK);
        } catch (IllegalStateException shuttingDown) {
            // First used while the JVM already stops (a capture merging after Ctrl-C): no hook can run any more,
            // and the capture's own clean-up handles its files.
        }
    }

    private ScratchFiles() {
    }

    /** Creates a new empty private file in {@code directory}, named for {@code base} and {@code kind}. */
    public static Path createFile(Path directory, String base, ScratchKind kind) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return Files.createFile(directory.resolve(ScratchName.fresh(base, kind).fileName()), PRIVATE_FILE);
            } catch (FileAlreadyExistsException taken) {
                if (attempt == ATTEMPTS) {
                    throw taken;
                }
            }
        }
    }

    /** Creates a new private directory in {@code directory}, named for {@code base} and {@code kind}. */
    public static Path createDirectory(Path directory, String base, ScratchKind kind) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return Files.createDirectory(directory.resolve(ScratchName.fresh(base, kind).fileName()),
                        PRIVATE_DIRECTORY);
            } catch (FileAlreadyExistsException taken) {
                if (attempt == ATTEMPTS) {
                    throw taken;
                }
            }
        }
    }

    /**
     * Removes {@code file} if the JVM is stopped before {@link Pending#release()} is called.
     *
     * @param whenRemoved what to tell the user if it is removed that way, or null to say nothing
     */
    public static Pending removeOnExit(Path file, String whenRemoved) {
        Pending pending = new Pending(file, whenRemoved);
        PENDING.add(pending);
        return pending;
    }

    /** Deletes a scratch file now; says so on stderr if that fails (nothing else can be done about it). */
    public static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            System.err.println("meshcap: could not remove the temporary file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Deletes a directory and everything in it. Symbolic links inside are deleted, never followed
     * ({@link Files#walk} does not follow them).
     */
    static void deleteTree(Path directory) throws IOException {
        try (Stream<Path> tree = Files.walk(directory)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** The shutdown hook: removes what is still pending, and says so where the owner asked. */
    private static void removePending() {
        PrintStream err = System.err;
        for (Pending file : List.copyOf(PENDING)) {
            // An owner that releases its file meanwhile (renamed into place) wins; the file is then not removed.
            if (PENDING.remove(file)) {
                delete(file.path);
                if (file.whenRemoved != null) {
                    err.println("meshcap: " + file.whenRemoved);
                }
            }
        }
        err.flush();
    }

    /** A scratch file that goes away if the JVM is stopped before its owner is done with it. */
    public static final class Pending {

        private final Path path;
        private final String whenRemoved;

        private Pending(Path path, String whenRemoved) {
            this.path = path;
            this.whenRemoved = whenRemoved;
        }

        /** The owner is done with the file (kept it, renamed it or removed it): a stopping JVM leaves it alone. */
        public void release() {
            PENDING.remove(this);
        }
    }
}
