package io.meshcap.output;

import io.meshcap.format.CaptureFormats;
import io.meshcap.text.Sizes;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Scratch files and spool directories that runs which died (SIGKILL, a crash, a power cut) left beside their
 * outputs. Something is a leftover only when all of these hold, so that nothing a user or another program made,
 * and nothing a live run is still using, is ever touched:
 * <ul>
 *   <li>its name has the shape meshcap gives its scratch files ({@link ScratchName});</li>
 *   <li>it is what that name says: a spool directory holding meshcap's marker and nothing but files
 *       ({@link LegsDirectory}), or a regular file that is empty or starts like a capture; never a symbolic link;</li>
 *   <li>it belongs to the user running meshcap;</li>
 *   <li>the process named in it is gone: no process has that pid, or the one that has it started after the file was
 *       last changed (the pid was reused).</li>
 * </ul>
 */
public final class Leftovers {

    /** Clock slack when comparing a process's start with a file's time; errs towards "still alive". */
    private static final Duration SLACK = Duration.ofSeconds(1);

    private Leftovers() {
    }

    /**
     * One leftover.
     *
     * @param path  the file or directory
     * @param name  what its name says
     * @param files files it holds (1 for a file)
     * @param bytes their size
     */
    public record Leftover(Path path, ScratchName name, long files, long bytes) {

        /** One line for the user. */
        public String describe() {
            String owner = " (pid " + name.pid() + ", no longer running)";
            return switch (name.kind()) {
                case LEGS -> path + " holds the legs of a capture that did not finish" + owner + ": " + files
                        + (files == 1 ? " file, " : " files, ") + Sizes.human(bytes) + " (merge them with: "
                        + LegsDirectory.mergeCommand(path, path.resolveSibling(name.base()).toString()) + ")";
                case OUTPUT -> path + " is the incomplete output of a run that did not finish" + owner + ", "
                        + Sizes.human(bytes);
                case SPILL -> path + " is a temporary file of a merge that did not finish" + owner + ", "
                        + Sizes.human(bytes);
            };
        }
    }

    /** What dead runs left in {@code directory}; nothing when it cannot be read. */
    public static List<Leftover> find(Path directory) {
        List<Leftover> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, ".*meshcap-*")) {
            for (Path entry : entries) {
                ScratchName.parse(entry.getFileName().toString())
                        .flatMap(name -> leftover(entry, name))
                        .ifPresent(found::add);
            }
        } catch (IOException unreadable) {
            // Nothing can be said about a directory that cannot be listed, and nothing in it removed.
        }
        found.sort(Comparator.comparing(Leftover::path));
        return found;
    }

    private static Optional<Leftover> leftover(Path entry, ScratchName name) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(entry, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (uid != Libc.C.geteuid() || ownerAlive(name.pid(), attributes.lastModifiedTime().toInstant())) {
                return Optional.empty();
            }
            // Only then look inside: a live run's files are never read, nor anyone else's.
            boolean legs = name.kind() == ScratchKind.LEGS;
            boolean meshcaps = legs ? attributes.isDirectory() && LegsDirectory.isSpool(entry)
                    : attributes.isRegularFile() && CaptureFormats.emptyOrCapture(entry);
            if (!meshcaps) {
                return Optional.empty();
            }
            if (!legs) {
                return Optional.of(new Leftover(entry, name, 1, attributes.size()));
            }
            List<Path> files = LegsDirectory.legs(entry);
            long bytes = 0;
            for (Path file : files) {
                bytes += Files.size(file);
            }
            return Optional.of(new Leftover(entry, name, files.size(), bytes));
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    /** True unless {@code pid} is certainly not the process that last changed a file at {@code lastChanged}. */
    static boolean ownerAlive(long pid, Instant lastChanged) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .map(process -> process.info().startInstant()
                        .map(start -> !start.isAfter(lastChanged.plus(SLACK)))
                        .orElse(true))
                .orElse(false);
    }

    /** Tells {@code err} about each leftover in {@code directory}, and how to remove them. */
    public static void report(List<Leftover> leftovers, Path directory, PrintWriter err) {
        if (leftovers.isEmpty()) {
            return;
        }
        for (Leftover leftover : leftovers) {
            err.println("meshcap: note: " + leftover.describe());
        }
        err.println("meshcap: note: remove what runs that did not finish left here with: "
                + CommandRunner.display(List.of("meshcap", "cleanup", "--local", directory.toString())));
        err.flush();
    }

    /** Removes a leftover (a directory with everything in it), checking again that it still is one. */
    public static void remove(Leftover leftover) throws IOException {
        if (leftover(leftover.path(), leftover.name()).isEmpty()) {
            return;
        }
        if (leftover.name().kind() == ScratchKind.LEGS) {
            ScratchFiles.deleteTree(leftover.path());
        } else {
            Files.deleteIfExists(leftover.path());
        }
    }
}
