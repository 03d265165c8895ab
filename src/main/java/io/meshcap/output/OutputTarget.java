package io.meshcap.output;

import io.meshcap.MeshcapException;
import io.meshcap.Version;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.sys.PipeEnd;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Function;

/**
 * Where a command writes its capture ({@code -o}), checked before any work starts, and the one way every command
 * writes it.
 *
 * <ul>
 *   <li>A regular file (new or existing) is written to a private temporary file beside it
 *       ({@code .NAME.meshcap-tmp-PID-XXXXXX}, mode 0600) and renamed over it only when complete: whatever fails, the
 *       old file is left as it was, and of two runs writing the same file the last to finish wins with a whole
 *       file. The replacement is mode 0600 (captures hold private data).</li>
 *   <li>A device or a named pipe ({@code /dev/null}, a FIFO Wireshark reads) is written directly, keeps its mode,
 *       and is never deleted; {@code -} is standard output.</li>
 * </ul>
 */
public final class OutputTarget {

    private static final String STDOUT = "-";
    /** File type bits of st_mode (sys/stat.h). */
    private static final int TYPE_MASK = 0170000;
    private static final int CHARACTER_DEVICE = 0020000;
    private static final int FIFO = 0010000;

    private enum Kind { STDOUT, DEVICE, PIPE, FILE }

    private final String name;
    private final Kind kind;
    /** FILE: the file to replace, symbolic links resolved; DEVICE, PIPE: the device or named pipe; STDOUT: null. */
    private final Path path;

    private OutputTarget(String name, Kind kind, Path path) {
        this.name = name;
        this.kind = kind;
        this.path = path;
    }

    /** The output {@code -o} names for merge and reassociate: a file, a device or pipe, or {@code -} for stdout. */
    public static OutputTarget of(String option) {
        return STDOUT.equals(option) ? new OutputTarget("stdout", Kind.STDOUT, null) : checked(option);
    }

    /**
     * The output of a command that spools beside it before writing it (a capture): a file name, checked like any
     * other, in a directory where the spool can be created.
     */
    public static OutputTarget file(Path option) {
        OutputTarget target = checked(option.toString());
        requireWritableDirectory(target.scratchDirectory(), option + " (where the legs are spooled)");
        return target;
    }

    private static OutputTarget checked(String option) {
        if (option.isBlank()) {
            throw MeshcapException.usage("-o needs a file name, not an empty string");
        }
        Path given;
        try {
            given = Path.of(option);
        } catch (InvalidPathException e) {
            throw MeshcapException.usage("-o " + option + ": not a usable file name (" + e.getReason() + ")");
        }
        if (Files.isDirectory(given)) {
            throw MeshcapException.usage("-o " + option + " is a directory; name a file in it, e.g. -o "
                    + given.resolve("capture.pcapng"));
        }
        if (Files.isRegularFile(given)) {
            Path real = realPath(given, option);
            requireWritableDirectory(real.getParent(), option);
            return new OutputTarget(option, Kind.FILE, real);
        }
        if (Files.exists(given)) {
            return new OutputTarget(option, stream(given, option), given);
        }
        if (Files.isSymbolicLink(given)) {
            throw MeshcapException.usage("-o " + option + " is a symbolic link to a file that does not exist;"
                    + " name the file itself");
        }
        Path absolute = given.toAbsolutePath().normalize();
        requireWritableDirectory(absolute.getParent(), option);
        return new OutputTarget(option, Kind.FILE, absolute);
    }

    private static Path realPath(Path given, String option) {
        try {
            return given.toRealPath();
        } catch (IOException e) {
            throw MeshcapException.usage("-o " + option + ": " + IoErrors.reason(e));
        }
    }

    /** Which of a device or a named pipe {@code given} is, both written as they are; anything else is refused. */
    private static Kind stream(Path given, String option) {
        int type;
        try {
            type = (Integer) Files.getAttribute(given, "unix:mode") & TYPE_MASK;
        } catch (IOException e) {
            throw MeshcapException.usage("-o " + option + ": " + IoErrors.reason(e));
        }
        if (type != CHARACTER_DEVICE && type != FIFO) {
            throw MeshcapException.usage("-o " + option + " is neither a file, a character device nor a named pipe;"
                    + " name a file");
        }
        if (!Files.isWritable(given)) {
            throw MeshcapException.usage("-o " + option + ": permission denied");
        }
        return type == FIFO ? Kind.PIPE : Kind.DEVICE;
    }

    private static void requireWritableDirectory(Path directory, String option) {
        if (!Files.isDirectory(directory)) {
            throw MeshcapException.usage("-o " + option + ": the directory " + directory + " does not exist;"
                    + " create it first (mkdir -p " + directory + ")");
        }
        if (!Files.isWritable(directory)) {
            throw MeshcapException.usage("-o " + option + ": cannot create files in " + directory + " ("
                    + (readOnly(directory) ? "read-only file system" : "permission denied") + ")");
        }
    }

    private static boolean readOnly(Path directory) {
        try {
            return Files.getFileStore(directory).isReadOnly();
        } catch (IOException e) {
            return false;
        }
    }

    /** Refuses an output that is one of the inputs: writing it would destroy what is being read. */
    public void refuseInputs(List<Path> inputs) {
        if (kind == Kind.STDOUT || !Files.exists(path)) {
            return;
        }
        for (Path input : inputs) {
            try {
                if (Files.exists(input) && Files.isSameFile(input, path)) {
                    throw MeshcapException.usage("-o " + name + " is also an input; choose another output file");
                }
            } catch (IOException e) {
                throw MeshcapException.failure(input + ": cannot check it against the output: " + IoErrors.reason(e), e);
            }
        }
    }

    /**
     * Where temporary files that go with this output belong: beside a file (same disk, same access rights), in the
     * current directory for a device or pipe, in the system's temporary directory for standard output.
     */
    public Path scratchDirectory() {
        return switch (kind) {
            case FILE -> path.getParent();
            case DEVICE, PIPE -> Path.of("").toAbsolutePath();
            case STDOUT -> Path.of(System.getProperty("java.io.tmpdir"));
        };
    }

    /** The file or device as {@code -o} named it, for messages; null for standard output. */
    public Path file() {
        return kind == Kind.STDOUT ? null : Path.of(name);
    }

    /**
     * Whether the program reading this output (standard output, a named pipe) has gone away, told without writing;
     * false for a file or a device.
     */
    public boolean readerGone() {
        return switch (kind) {
            case STDOUT -> PipeEnd.readerGone(PipeEnd.STDOUT);
            case PIPE -> PipeEnd.readerGone(path);
            case DEVICE, FILE -> false;
        };
    }

    /** The output's own file name, which scratch files beside it are named after. */
    public String baseName() {
        return kind == Kind.STDOUT ? "stdout" : path.getFileName().toString();
    }

    /** Says on {@code err} what runs that died left where this output's scratch files go. */
    public void reportLeftovers(PrintWriter err) {
        if (kind != Kind.STDOUT) {
            Leftovers.report(Leftovers.find(scratchDirectory()), scratchDirectory(), err);
        }
    }

    /** Writes the output with {@code body}, as described above; returns what {@code body} returns. */
    public <T> T write(OutputFormat format, Function<CaptureWriter, T> body) {
        return write(format, writer -> writer, body);
    }

    /**
     * Writes the output with {@code body}, through a writer {@code wrap} puts in front of the file's (one that adds
     * TLS keys, say), which is closed when {@code body} returns.
     */
    public <W extends CaptureWriter, T> T write(OutputFormat format, Function<CaptureWriter, W> wrap,
            Function<W, T> body) {
        String application = Version.userApplication();
        return switch (kind) {
            case STDOUT -> writeWith(wrap.apply(CaptureFormats.createStdout(format, application)), body);
            case DEVICE, PIPE -> writeWith(wrap.apply(CaptureFormats.create(name, openStream(), format, application)),
                    body);
            case FILE -> replace(format, application, wrap, body);
        };
    }

    private static <W extends CaptureWriter, T> T writeWith(W writer, Function<W, T> body) {
        try (writer) {
            return body.apply(writer);
        }
    }

    private FileChannel openStream() {
        try {
            return FileChannel.open(path, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw MeshcapException.failure(name + ": cannot open it for writing: " + IoErrors.reason(e), e);
        }
    }

    private <W extends CaptureWriter, T> T replace(OutputFormat format, String application,
            Function<CaptureWriter, W> wrap, Function<W, T> body) {
        boolean existed = Files.exists(path);
        String unchanged = existed ? name + " is unchanged" : "no " + name + " was written";
        Path temp;
        try {
            temp = ScratchFiles.createFile(path.getParent(), baseName(), ScratchKind.OUTPUT);
        } catch (IOException e) {
            throw IoErrors.diskFull(e) ? noSpace(unchanged, e)
                    : MeshcapException.failure("cannot write " + name + ": cannot create a file in " + path.getParent()
                            + ": " + IoErrors.reason(e), e);
        }
        ScratchFiles.Pending pending = ScratchFiles.removeOnExit(temp,
                "stopped before " + name + " was complete; " + unchanged);
        try {
            T result;
            try (W writer = wrap.apply(CaptureFormats.create(name, DurableChannel.open(temp), format, application))) {
                result = body.apply(writer);
            }
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
            return result;
        } catch (RuntimeException e) {
            ScratchFiles.delete(temp);
            throw IoErrors.diskFull(e) ? noSpace(unchanged, e) : e;
        } catch (IOException e) {
            ScratchFiles.delete(temp);
            throw MeshcapException.failure("cannot put the new " + name + " in place: " + IoErrors.reason(e) + "; "
                    + unchanged, e);
        } finally {
            pending.release();
        }
    }

    private MeshcapException noSpace(String unchanged, Exception e) {
        return MeshcapException.failure("no space left on device while writing " + name + "; " + unchanged, e);
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * The temporary file's channel: closing it first forces the data to disk, so that a crash just after the
     * rename cannot leave an empty file where the old one was.
     */
    private static final class DurableChannel implements WritableByteChannel {

        private final FileChannel channel;

        private DurableChannel(FileChannel channel) {
            this.channel = channel;
        }

        static DurableChannel open(Path file) {
            try {
                return new DurableChannel(FileChannel.open(file, StandardOpenOption.WRITE));
            } catch (IOException e) {
                throw MeshcapException.failure(file + ": cannot open the new file for writing: " + IoErrors.reason(e), e);
            }
        }

        @Override
        public int write(ByteBuffer source) throws IOException {
            return channel.write(source);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            try (channel) {
                channel.force(false);
            }
        }
    }
}
