package io.meshcap.output;

import io.meshcap.MeshcapException;
import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a capture spools its legs: a private directory beside the output, hidden and named after the output and the
 * capturing process while the capture runs ({@link ScratchName}), so that if meshcap dies the next run can tell it
 * is left over. A marker file in it says it is a spool directory, so that a directory a user happened to give
 * the same shape of name is never taken for one. Afterwards it is removed, or kept under a visible name next to the
 * output ({@code OUTPUT.legs}). It is never removed on a signal: what it holds may be all that was captured.
 */
public final class LegsDirectory {

    private static final String KEPT_SUFFIX = ".legs";
    private static final int KEPT_NAMES = 100;
    private static final int PCAP_FILE_HEADER = 24;
    /** The marker file; hidden, so that the {@code leg-*} glob of {@link #mergeCommand} leaves it out. */
    private static final String MARKER = ".meshcap-spool";

    private final OutputTarget output;
    private final Path path;

    private LegsDirectory(OutputTarget output, Path path) {
        this.output = output;
        this.path = path;
    }

    /** Creates the spool directory for a capture into {@code output}, marked as meshcap's. */
    public static LegsDirectory create(OutputTarget output) {
        Path directory = output.scratchDirectory();
        Path created = null;
        try {
            created = ScratchFiles.createDirectory(directory, output.baseName(), ScratchKind.LEGS);
            Files.writeString(created.resolve(MARKER), "meshcap spools the legs of a capture into " + output
                    + " here (pid " + ProcessHandle.current().pid() + "); meshcap cleanup --local removes it once"
                    + " that process is gone" + System.lineSeparator());
            return new LegsDirectory(output, created);
        } catch (IOException e) {
            if (created != null) {
                new LegsDirectory(output, created).delete();
            }
            throw MeshcapException.failure("cannot create a spool directory in " + directory + ": "
                    + IoErrors.reason(e) + "; choose an output (-o) in a writable directory", e);
        }
    }

    /**
     * Whether {@code directory} is a spool directory as meshcap leaves it: it holds the marker, and nothing but
     * regular files (no directory or link of anyone else's inside).
     */
    static boolean isSpool(Path directory) throws IOException {
        if (!Files.isRegularFile(directory.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.allMatch(entry -> Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS));
        }
    }

    /** The legs in a spool directory (every file but the marker). */
    static List<Path> legs(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(entry -> !entry.getFileName().toString().equals(MARKER)).sorted().toList();
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Gives the directory a visible name beside the output: {@code OUTPUT.legs}, or {@code OUTPUT.legs.2} and so on
     * when that is taken (an earlier run's legs are never replaced).
     *
     * @return where the legs are now (still the hidden name if no visible one could be had)
     */
    public Path keep() {
        String kept = output.baseName() + KEPT_SUFFIX;
        for (int number = 1; number <= KEPT_NAMES; number++) {
            Path candidate = path.resolveSibling(number == 1 ? kept : kept + "." + number);
            try {
                // Not an atomic move: that would silently replace an empty directory of the same name.
                Files.move(path, candidate);
            } catch (FileAlreadyExistsException taken) {
                continue;
            } catch (IOException e) {
                return path;
            }
            unmark(candidate);
            return candidate;
        }
        return path;
    }

    /** The visible directory is the user's now: cleanup must never take it for a leftover. */
    private static void unmark(Path kept) {
        try {
            Files.deleteIfExists(kept.resolve(MARKER));
        } catch (IOException e) {
            System.err.println("meshcap: could not remove " + kept.resolve(MARKER) + ": " + IoErrors.reason(e));
        }
    }

    /** Removes the directory and the legs in it; says so on stderr if that fails. */
    public void delete() {
        try {
            ScratchFiles.deleteTree(path);
        } catch (IOException e) {
            System.err.println("meshcap: could not remove the spool directory " + path + ": " + IoErrors.reason(e));
        }
    }

    /** Whether any leg file holds more than a pcap file header, that is, some captured data. */
    public boolean holdsPackets() {
        try {
            return legs(path).stream().anyMatch(file -> size(file) > PCAP_FILE_HEADER);
        } catch (IOException e) {
            return false;
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException gone) {
            return 0;
        }
    }

    /** The command that merges legs kept in {@code directory} into {@code output}, as a shell takes it. */
    public static String mergeCommand(Path directory, String output) {
        // The glob stays outside the quotes, so that the shell expands it.
        return CommandRunner.display(List.of("meshcap", "merge", "--reassociate", directory.toString()))
                + "/leg-* -o " + CommandRunner.display(List.of(output));
    }
}
