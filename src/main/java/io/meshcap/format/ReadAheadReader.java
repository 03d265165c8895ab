package io.meshcap.format;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A capture file read on a thread of its own, a few hundred blocks ahead of the caller: the reading side of
 * {@link ByteOutput}'s writer thread. Parsing records out of the file (the system calls, the copies, a record per
 * packet) is about a fifth of a merge's work, and meshcap's merge and re-association otherwise do it on the thread
 * that also orders, rewrites and writes the packets; with the reading on another core the caller does the rest.
 *
 * <p>The caller sees exactly what the file's own reader gives, in the same order: the same blocks, the interfaces
 * known at each block (a pcapng file may define more as it goes), a damaged file's error after the blocks before
 * the damage, the truncation and what was skipped at the end. The file's reader is used by the read-ahead thread
 * only, from the start; {@link #close()} stops the thread and closes it. Memory: at most {@value #BATCHES_AHEAD}
 * batches of about {@value #BATCH_BYTES} bytes of records wait at a time.
 */
final class ReadAheadReader implements CaptureReader {

    private static final int BATCH_BLOCKS = 512;
    private static final int BATCH_BYTES = 256 << 10;
    private static final int BATCHES_AHEAD = 2;

    private final CaptureReader reader;
    private final String formatName;
    private final SectionInfo section;
    private final BlockingQueue<Batch> ready = new ArrayBlockingQueue<>(BATCHES_AHEAD);
    private final Thread thread;
    /** The batch being handed out, and the index of its next block. */
    private Batch current;
    private int next;
    /** The interfaces as the file's reader knew them when it had read the block last handed out. */
    private List<CaptureInterface> interfaces;
    private int interfaceCount;

    /** Blocks read in one go, with what the caller asks about them; the last one also says how the file ended. */
    private static final class Batch {
        final CaptureBlock[] blocks = new CaptureBlock[BATCH_BLOCKS];
        final int[] interfaceCounts = new int[BATCH_BLOCKS];
        int size;
        /** Every interface known after the batch's last block: a superset of what each block saw. */
        List<CaptureInterface> interfaces;
        /** Nothing follows this batch: the file ended, or {@link #failure} is what its reader threw next. */
        boolean last;
        Throwable failure;
        Optional<String> truncation = Optional.empty();
        Optional<String> skipped = Optional.empty();
    }

    /** @param source the file's name, for the thread's */
    ReadAheadReader(CaptureReader reader, String source) {
        this.reader = reader;
        this.formatName = reader.formatName();
        this.section = reader.section();
        this.interfaces = reader.interfaces();
        this.interfaceCount = interfaces.size();
        this.thread = new Thread(this::readLoop, "meshcap-reader " + source);
        thread.setDaemon(true);
        thread.start();
    }

    /** The read-ahead thread: fills batches until the file ends or fails, or the caller closes. */
    private void readLoop() {
        try {
            for (boolean last = false; !last; ) {
                Batch batch = new Batch();
                last = fill(batch);
                ready.put(batch);
            }
        } catch (InterruptedException e) {
            // Closed: nobody takes what is left.
        }
    }

    /** Reads into {@code batch} until it is full; returns whether it is the last. */
    private boolean fill(Batch batch) {
        long bytes = 0;
        try {
            while (batch.size < BATCH_BLOCKS && bytes < BATCH_BYTES) {
                CaptureBlock block = reader.nextBlock();
                if (block == null) {
                    batch.last = true;
                    batch.truncation = reader.truncation();
                    batch.skipped = reader.skipped();
                    break;
                }
                batch.blocks[batch.size] = block;
                batch.interfaceCounts[batch.size++] = reader.interfaceCount();
                if (block instanceof CaptureRecord record) {
                    bytes += record.capturedLength();
                }
            }
        } catch (RuntimeException | Error e) {
            batch.last = true;
            batch.failure = e;
        }
        batch.interfaces = reader.interfaces();
        return batch.last;
    }

    @Override
    public String formatName() {
        return formatName;
    }

    @Override
    public List<CaptureInterface> interfaces() {
        return interfaces.subList(0, interfaceCount);
    }

    @Override
    public int interfaceCount() {
        return interfaceCount;
    }

    @Override
    public SectionInfo section() {
        return section;
    }

    @Override
    public CaptureBlock nextBlock() {
        while (current == null || next == current.size) {
            if (current != null && current.last) {
                interfaces = current.interfaces;
                interfaceCount = interfaces.size();
                rethrow(current.failure);
                return null;
            }
            current = take();
            next = 0;
        }
        interfaces = current.interfaces;
        interfaceCount = current.interfaceCounts[next];
        CaptureBlock block = current.blocks[next];
        current.blocks[next++] = null; // handed over: the batch does not keep it alive
        return block;
    }

    private Batch take() {
        try {
            return ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + formatName, e);
        }
    }

    private static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    @Override
    public Optional<String> truncation() {
        return current != null && current.last ? current.truncation : Optional.empty();
    }

    @Override
    public Optional<String> skipped() {
        return current != null && current.last ? current.skipped : Optional.empty();
    }

    /** Stops the read-ahead thread (a file channel's read gives way to the interrupt) and closes the file. */
    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            reader.close();
        }
    }
}
