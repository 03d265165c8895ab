package io.meshcap.spool;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Receives one leg's classic pcap stream (as tcpdump -w - writes it) and spools it to a private file,
 * writing only whole records: whenever the stream stops, for whatever reason, the file is a valid capture
 * holding every packet that arrived complete. Counts packets and bytes as they pass, for the live status,
 * and stops accepting packets once the file would exceed its size limit.
 *
 * <p>When the disk refuses a write (full, over quota, failing), the spool stops taking packets, cuts the file back
 * to the last whole record it wrote, and keeps it: what fit is kept and counted, and {@link #writeFailure()} says
 * why the rest is missing. Writing never throws for that reason, so the capturer feeding the spool is simply
 * stopped like one that reached its size limit.
 *
 * <p>Whole records are collected in a write buffer and reach the file when it fills, on {@link #flush()} (the
 * capture engine flushes a few times a second) and on {@link #close()}: one write per buffer rather than one
 * per packet keeps the spool ahead of a busy capturer. Memory is that buffer plus one record, whatever the
 * capture's size.
 */
public final class PcapSpool extends OutputStream {

    static final int FILE_HEADER_LENGTH = 24;
    static final int RECORD_HEADER_LENGTH = 16;
    private static final int INCLUDED_LENGTH_OFFSET = 8;
    private static final int MAX_RECORD = 262144 + RECORD_HEADER_LENGTH;
    private static final int MAGIC_MICROS = 0xa1b2c3d4;
    private static final int MAGIC_NANOS = 0xa1b23c4d;

    private final Path file;
    private final long maxBytes;
    private final int ringFiles;
    private final Runnable onFull;
    private final Deque<Segment> segments = new ArrayDeque<>();
    private FileChannel channel;
    private byte[] fileHeader;
    private static final int WRITE_BUFFER = 1 << 20;

    private final ByteBuffer pending = ByteBuffer.allocate(MAX_RECORD);
    private final ByteBuffer buffered = ByteBuffer.allocate(WRITE_BUFFER);
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private ByteOrder order;
    private boolean full;
    private boolean closed;
    private long rotations;
    /** Why the disk refused a write; from then on packets are dropped. */
    private IOException writeFailure;
    /** Packets and counted bytes in {@link #buffered}: what a refused write loses. */
    private long bufferedPackets;
    private long bufferedBytes;
    private OutputStream copy;

    /** One file of the ring and the packets in it. */
    private static final class Segment {
        final Path path;
        long packets;
        long bytes;

        Segment(Path path) {
            this.path = path;
        }
    }

    /**
     * Creates the spool file with mode 0600.
     *
     * @param maxBytes the largest the file may grow, 0 for no limit
     * @param onFull   called once, when the spool stops taking packets: a packet would take the file past
     *                 {@code maxBytes}, or the disk refused a write
     */
    public PcapSpool(Path file, long maxBytes, Runnable onFull) throws IOException {
        this(file, maxBytes, 1, onFull);
    }

    /**
     * Creates the spool with mode 0600.
     *
     * @param ringFiles with more than one, the spool never stops: past {@code maxBytes} it starts a new file and
     *                  forgets the oldest beyond {@code ringFiles}; {@link #close()} joins the kept files into
     *                  {@code file}. {@code onFull} is then called only when the disk refuses a write.
     */
    public PcapSpool(Path file, long maxBytes, int ringFiles, Runnable onFull) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.ringFiles = ringFiles;
        this.onFull = onFull;
        openSegment(ringFiles > 1 ? segmentPath(0) : file);
    }

    private Path segmentPath(long number) {
        return file.resolveSibling(file.getFileName() + "." + number);
    }

    private void openSegment(Path path) throws IOException {
        Files.deleteIfExists(path);
        Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        channel = FileChannel.open(path, Set.of(StandardOpenOption.WRITE));
        segments.addLast(new Segment(path));
    }

    /** Starts the next file of the ring with the stream's file header, forgetting the oldest beyond the ring. */
    private void rotate() {
        flush();
        if (writeFailure != null) {
            return;
        }
        try {
            channel.close();
            openSegment(segmentPath(rotations++ + 1));
            buffered.put(fileHeader);
            segments.getLast().bytes = fileHeader.length;
            if (segments.size() > ringFiles) {
                Files.deleteIfExists(segments.removeFirst().path);
            }
        } catch (IOException e) {
            refused(e, buffered.position());
        }
    }

    /**
     * Also hands every item the spool keeps to {@code copy} as it arrives: the file header, then each whole record
     * (one write call per item), so a live stream of the leg holds exactly what its file holds. Call before the
     * capturer starts writing; {@code copy} must not block.
     */
    public synchronized void copyTo(OutputStream copy) {
        this.copy = copy;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] data, int offset, int length) throws IOException {
        int position = offset;
        int end = offset + length;
        while (position < end) {
            int wanted = wantedLength();
            int take = Math.min(wanted - pending.position(), end - position);
            pending.put(data, position, take);
            position += take;
            if (pending.position() == wanted && wantedLength() == wanted) {
                complete();
            }
        }
    }

    /** How many bytes the item being assembled has: the file header, a record header, or a whole record. */
    private int wantedLength() {
        if (order == null) {
            return FILE_HEADER_LENGTH;
        }
        if (pending.position() < RECORD_HEADER_LENGTH) {
            return RECORD_HEADER_LENGTH;
        }
        int included = pending.order(order).getInt(INCLUDED_LENGTH_OFFSET);
        if (included < 0 || included > MAX_RECORD - RECORD_HEADER_LENGTH) {
            throw MeshcapException.failure(file + ": the capture stream is corrupt (a record of " + included + " bytes)");
        }
        return RECORD_HEADER_LENGTH + included;
    }

    private void complete() {
        if (order == null) {
            order = byteOrder(pending.order(ByteOrder.BIG_ENDIAN).getInt(0));
            fileHeader = java.util.Arrays.copyOf(pending.array(), FILE_HEADER_LENGTH);
            writePending();
            return;
        }
        if (writeFailure == null && ringFiles > 1 && segments.getLast().bytes + pending.position() > maxBytes) {
            rotate();
        }
        if (writeFailure != null || ringFiles == 1 && maxBytes > 0 && bytes.get() + pending.position() > maxBytes) {
            pending.clear();
            stopTaking();
            return;
        }
        if (writePending()) {
            packets.incrementAndGet();
            segments.getLast().packets++;
            bufferedPackets++;
        }
    }

    private void stopTaking() {
        if (!full) {
            full = true;
            onFull.run();
        }
    }

    private ByteOrder byteOrder(int magic) {
        if (magic == MAGIC_MICROS || magic == MAGIC_NANOS) {
            return ByteOrder.BIG_ENDIAN;
        }
        if (Integer.reverseBytes(magic) == MAGIC_MICROS || Integer.reverseBytes(magic) == MAGIC_NANOS) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        throw MeshcapException.failure(file + ": the capture stream does not start with a pcap header (magic 0x"
                + Integer.toHexString(magic) + "); the capturer printed something else on its output");
    }

    /** Hands the item in {@code pending} to the copy; a copy that fails is given up, the file goes on. */
    private void copy() {
        if (copy != null) {
            try {
                copy.write(pending.array(), 0, pending.limit());
            } catch (IOException e) {
                copy = null;
            }
        }
    }

    /** Moves the item assembled in {@code pending} to the write buffer; false when the disk refused a write. */
    private boolean writePending() {
        pending.flip();
        if (pending.remaining() > buffered.remaining()) {
            flush();
        }
        boolean taken = writeFailure == null;
        if (taken) {
            copy();
            bytes.addAndGet(pending.remaining());
            bufferedBytes += pending.remaining();
            segments.getLast().bytes += pending.remaining();
            buffered.put(pending);
        }
        pending.clear();
        return taken;
    }

    /**
     * Writes the buffered whole records to the file. A refused write is not thrown: it ends the spool
     * ({@link #writeFailure()}), keeping the records written before.
     */
    @Override
    public synchronized void flush() {
        buffered.flip();
        try {
            while (writeFailure == null && buffered.hasRemaining()) {
                channel.write(buffered);
            }
        } catch (IOException e) {
            refused(e, buffered.limit());
        }
        buffered.clear();
        bufferedPackets = 0;
        bufferedBytes = 0;
    }

    /**
     * The disk refused a write: forget what the write buffer held, cut the file back to the whole records written
     * before (a refused write may have stored part of the buffer), and take no more packets.
     *
     * @param lost bytes in the write buffer, all of them the last segment's (a rotation flushes first)
     */
    private void refused(IOException e, int lost) {
        writeFailure = e;
        Segment last = segments.getLast();
        last.packets -= bufferedPackets;
        last.bytes -= lost;
        packets.addAndGet(-bufferedPackets);
        bytes.addAndGet(-bufferedBytes);
        try {
            channel.truncate(Math.max(0, last.bytes));
        } catch (IOException ignored) {
            // A file that cannot even be truncated ends in a cut record, which readers skip with a warning.
        }
        stopTaking();
    }

    /** Why the disk refused a write, if it did: the file then holds the packets written before. */
    public synchronized Optional<IOException> writeFailure() {
        return Optional.ofNullable(writeFailure);
    }

    /** Whole packets written so far (all of them, including those a ring has since forgotten). */
    public long packets() {
        return packets.get();
    }

    /** Whole packets the file holds: all of them, or with a ring only those of the files it kept. */
    public synchronized long keptPackets() {
        return segments.stream().mapToLong(segment -> segment.packets).sum();
    }

    /** Bytes written so far, file header included. */
    public long bytes() {
        return bytes.get();
    }

    /** Whether any data arrived (a stream that never started leaves an empty file). */
    public boolean started() {
        return order != null;
    }

    /** Bytes of an incomplete last record that were dropped when the stream ended. */
    public synchronized int partialTail() {
        return pending.position();
    }

    public Path file() {
        return file;
    }

    /**
     * Flushes and closes the file; an incomplete last record is left out, so the file stays valid. With a ring,
     * the kept files are joined, oldest first, into the spool's file under one file header.
     */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            try {
                flush();
            } finally {
                channel.close();
            }
            if (ringFiles > 1) {
                joinSegments();
            }
        }
    }

    private void joinSegments() throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel joined = FileChannel.open(file, Set.of(StandardOpenOption.WRITE))) {
            boolean first = true;
            for (Segment segment : segments) {
                try (FileChannel part = FileChannel.open(segment.path, StandardOpenOption.READ)) {
                    long from = first ? 0 : Math.min(FILE_HEADER_LENGTH, part.size());
                    for (long at = from; at < part.size(); ) {
                        at += part.transferTo(at, part.size() - at, joined);
                    }
                }
                first = false;
                Files.delete(segment.path);
            }
        }
    }
}
