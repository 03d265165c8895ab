package io.meshcap.format;

import io.meshcap.MeshcapException;
import io.meshcap.format.pcap.PcapFormat;
import io.meshcap.format.pcap.PcapWriter;
import io.meshcap.format.pcapng.PcapngFormat;
import io.meshcap.format.pcapng.PcapngWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The format registry: opens capture files by sniffing their magic number, and creates writers.
 * This is the only entry point other packages need; they never see byte layouts.
 */
public final class CaptureFormats {

    /** Read buffer per open file when the caller does not choose one. */
    public static final int DEFAULT_READ_BUFFER = 1 << 20;
    /** Write buffer of every writer. */
    public static final int WRITE_BUFFER = 1 << 20;

    private static final int MAGIC_LENGTH = 4;
    private static final int GZIP_MAGIC_PREFIX = 0x1f8b;
    /** Captures hold private data: only the owner may read what meshcap writes. */
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final List<CaptureFormat> FORMATS = List.of(new PcapFormat(), new PcapngFormat());

    private CaptureFormats() {
    }

    /** Opens a pcap or pcapng file, whichever it is. */
    public static CaptureReader open(Path file) {
        return open(file, DEFAULT_READ_BUFFER);
    }

    /** Opens a pcap or pcapng file with a read buffer of {@code bufferSize} bytes (many open files: smaller). */
    public static CaptureReader open(Path file, int bufferSize) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw MeshcapException.failure(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw MeshcapException.failure(file + ": permission denied (captures are often root-only; check the owner)");
        } catch (IOException e) {
            throw MeshcapException.failure(file + ": cannot open: " + e.getMessage(), e);
        }
        return open(file.toString(), channel, bufferSize);
    }

    /**
     * Opens a capture arriving on a channel (a pipe, stdin).
     *
     * @param source name for error messages
     */
    public static CaptureReader open(String source, ReadableByteChannel channel, int bufferSize) {
        ByteInput input = new ByteInput(source, channel, bufferSize);
        try {
            return sniff(input);
        } catch (RuntimeException e) {
            input.close();
            throw e;
        }
    }

    /**
     * Whether {@code file} is empty or starts with the magic number of a format meshcap writes: what every scratch
     * file meshcap writes holds, and what tells it from someone else's file of the same name.
     */
    public static boolean emptyOrCapture(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer start = ByteBuffer.allocate(MAGIC_LENGTH);
            while (start.hasRemaining() && channel.read(start) >= 0) {
                // read on until the magic number is in, or the file ends
            }
            if (start.position() == 0) {
                return true;
            }
            return !start.hasRemaining() && FORMATS.stream().anyMatch(format -> format.recognises(start.getInt(0)));
        }
    }

    private static CaptureReader sniff(ByteInput input) {
        if (!input.request(MAGIC_LENGTH)) {
            throw MeshcapException.failure(input.source() + ": offset 0: " + (input.available() == 0
                    ? "empty file, not a capture"
                    : "only " + input.available() + " bytes, too short to be a capture"));
        }
        int magic = input.getIntBigEndian(0);
        for (CaptureFormat format : FORMATS) {
            if (format.recognises(magic)) {
                return format.open(input);
            }
        }
        String hint = magic >>> 16 == GZIP_MAGIC_PREFIX
                ? "it looks gzip-compressed; gunzip it first"
                : "check the path, or convert the file with editcap";
        String known = FORMATS.stream().map(CaptureFormat::name).collect(Collectors.joining(" or "));
        throw MeshcapException.failure(String.format(
                "%s: offset 0: not a %s file (starts with 0x%08x); %s", input.source(), known, magic, hint));
    }

    /**
     * Creates (or replaces) a capture file readable by its owner only (mode 0600). Devices and named
     * pipes ({@code /dev/null}, a FIFO read by Wireshark) are written to without touching their mode.
     *
     * @param userApplication the writing program, stored in pcapng's shb_userappl, e.g. {@code meshcap 0.1.0}
     */
    public static CaptureWriter create(Path file, OutputFormat format, String userApplication) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            // The attribute only applies to new files; an existing file keeps its mode unless we set it.
            // Only regular files: /dev/null or a named pipe must keep the mode others rely on.
            if (Files.isRegularFile(file)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        } catch (AccessDeniedException e) {
            throw MeshcapException.failure(file + ": permission denied; choose another output path");
        } catch (NoSuchFileException e) {
            throw MeshcapException.failure(file + ": cannot create: its directory does not exist");
        } catch (IOException e) {
            throw MeshcapException.failure(file + ": cannot create: " + e.getMessage(), e);
        }
        return create(file.toString(), channel, format, userApplication);
    }

    /** Creates a writer on standard output, for {@code meshcap merge ... -o - | wireshark -k -i -}. */
    public static CaptureWriter createStdout(OutputFormat format, String userApplication) {
        return create("stdout", new FileOutputStream(FileDescriptor.out).getChannel(), format, userApplication);
    }

    /**
     * Creates a writer on a channel.
     *
     * @param destination name for error messages
     */
    public static CaptureWriter create(String destination, WritableByteChannel channel, OutputFormat format,
                                       String userApplication) {
        ByteOutput output = new ByteOutput(destination, channel, WRITE_BUFFER);
        return switch (format) {
            case PCAPNG -> new PcapngWriter(output, userApplication);
            case PCAP -> new PcapWriter(output);
        };
    }
}
