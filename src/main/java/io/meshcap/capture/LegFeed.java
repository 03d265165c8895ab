package io.meshcap.capture;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;

/**
 * One leg's copy for the live stream, from its spool to the live merger: the spool writes whole items (the pcap file
 * header, then one record per call, see {@link io.meshcap.spool.PcapSpool#copyTo}), the merger reads them back as a
 * byte channel that blocks until more arrive and ends when the leg does.
 *
 * <p>Writing never blocks the capture: when the reader has fallen behind by more than the limit (a viewer slower than
 * the capture), records are left out of the live copy, never out of the leg's file, and counted.
 */
final class LegFeed extends OutputStream {

    private final long limit;
    private final Runnable onFirstSkip;
    private final ArrayDeque<ByteBuffer> items = new ArrayDeque<>();
    private long queued;
    private long records;
    private long skipped;
    private boolean headerPassed;
    private boolean closed;

    /**
     * @param limit       bytes the reader may fall behind before records are left out
     * @param onFirstSkip called once, when the first record is left out
     */
    LegFeed(long limit, Runnable onFirstSkip) {
        this.limit = limit;
        this.onFirstSkip = onFirstSkip;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /** Takes one whole item; a record that would take the feed past its limit is left out. */
    @Override
    public void write(byte[] data, int offset, int length) {
        boolean firstSkip;
        synchronized (this) {
            if (closed) {
                return;
            }
            // The file header always passes: without it nothing after it can be read.
            if (headerPassed && queued + length > limit) {
                firstSkip = skipped++ == 0;
            } else {
                if (headerPassed) {
                    records++;
                }
                headerPassed = true;
                byte[] copy = new byte[length];
                System.arraycopy(data, offset, copy, 0, length);
                items.addLast(ByteBuffer.wrap(copy));
                queued += length;
                notifyAll();
                return;
            }
        }
        if (firstSkip) {
            onFirstSkip.run();
        }
    }

    /** No more items come: the reader gets what is queued, then the end. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** Records handed to the reader so far (queued or read), the file header not counted. */
    synchronized long records() {
        return records;
    }

    /** Records left out of the live copy so far. */
    synchronized long skipped() {
        return skipped;
    }

    /** The reading side, for one reader. */
    ReadableByteChannel channel() {
        return new ReadableByteChannel() {
            private boolean open = true;

            @Override
            public int read(ByteBuffer target) throws java.io.InterruptedIOException {
                synchronized (LegFeed.this) {
                    while (items.isEmpty() && !closed) {
                        try {
                            LegFeed.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new java.io.InterruptedIOException("live copy of a leg: reading interrupted");
                        }
                    }
                    if (items.isEmpty()) {
                        return -1;
                    }
                    int copied = 0;
                    while (!items.isEmpty() && target.hasRemaining()) {
                        ByteBuffer item = items.peekFirst();
                        int take = Math.min(item.remaining(), target.remaining());
                        target.put(item.array(), item.arrayOffset() + item.position(), take);
                        item.position(item.position() + take);
                        copied += take;
                        if (!item.hasRemaining()) {
                            items.pollFirst();
                        }
                    }
                    queued -= copied;
                    return copied;
                }
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }
}
