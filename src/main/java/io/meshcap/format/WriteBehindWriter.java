package io.meshcap.format;

import io.meshcap.MeshcapException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

/**
 * A writer in front of another that writes the blocks handed to it on a thread of its own, a few hundred blocks
 * behind the caller: laying out each packet's block (and what a wrapping writer adds, such as TLS keys) then runs
 * beside the caller's merging and re-association instead of after it. The writing side of {@link ReadAheadReader}.
 *
 * <p>The writer behind sees the same calls in the same order. {@link #write} hands the block over (it must not change
 * afterwards, as the merge's records do not); everything else ({@link #describeSection}, {@link #addInterface},
 * {@link #flush}) first waits until the blocks before it are written, then runs on the caller's thread, so an interface
 * the format cannot hold is refused where it is added. A block the writer behind refuses (a full disk, a packet on an
 * interface never added) surfaces from a later call or from {@link #close()}. Closing waits for every block and ends
 * the thread; it does not close the writer behind, which belongs to the caller.
 */
final class WriteBehindWriter implements CaptureWriter {

    private static final int BATCH_BLOCKS = 256;
    private static final int BATCHES_BEHIND = 2;

    private final CaptureWriter writer;
    private final BlockingQueue<Batch> toWrite = new ArrayBlockingQueue<>(BATCHES_BEHIND);
    private final Thread thread;
    private Batch filling = new Batch();
    /** What the writer behind threw, kept by the thread and thrown on the caller's. */
    private volatile Throwable failure;
    private boolean closed;

    /** Blocks to write; the caller waits on {@code written} when it needs them all on file before going on. */
    private static final class Batch {
        final CaptureBlock[] blocks = new CaptureBlock[BATCH_BLOCKS];
        int size;
        CountDownLatch written;
        boolean last;
    }

    WriteBehindWriter(CaptureWriter writer, String destination) {
        this.writer = writer;
        this.thread = new Thread(this::writeLoop, "meshcap-write-behind " + destination);
        thread.setDaemon(true);
        thread.start();
    }

    /** The write-behind thread: writes each batch, and after a failure passes over what is left. */
    private void writeLoop() {
        try {
            for (Batch batch = toWrite.take(); ; batch = toWrite.take()) {
                for (int i = 0; i < batch.size && failure == null; i++) {
                    try {
                        writer.write(batch.blocks[i]);
                    } catch (RuntimeException | Error e) {
                        failure = e;
                    }
                }
                if (batch.written != null) {
                    batch.written.countDown();
                }
                if (batch.last) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void describeSection(SectionInfo section) {
        drain();
        writer.describeSection(section);
    }

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        drain();
        return writer.addInterface(captureInterface);
    }

    @Override
    public void write(CaptureBlock block) {
        filling.blocks[filling.size++] = block;
        if (filling.size == BATCH_BLOCKS) {
            throwFailure();
            handOver(filling);
            filling = new Batch();
        }
    }

    @Override
    public void flush() {
        drain();
        writer.flush();
    }

    /** Waits for every block handed over so far to be written, and ends the thread; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        filling.last = true;
        handOver(filling);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while writing", e);
        }
        throwFailure();
    }

    /** Hands over what is filled so far and waits until the thread has written it. */
    private void drain() {
        Batch batch = filling;
        filling = new Batch();
        batch.written = new CountDownLatch(1);
        throwFailure();
        handOver(batch);
        try {
            batch.written.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while writing", e);
        }
        throwFailure();
    }

    private void handOver(Batch batch) {
        try {
            toWrite.put(batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while writing", e);
        }
    }

    private void throwFailure() {
        Throwable e = failure;
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (e instanceof Error error) {
            throw error;
        }
    }
}
