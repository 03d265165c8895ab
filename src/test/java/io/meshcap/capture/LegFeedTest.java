package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One leg's copy for the live stream: what the spool writes comes out of the channel in order and whole; a reader
 * that falls behind loses records (counted, said once) but never the file header; the end comes after the last item.
 */
@Timeout(60)
class LegFeedTest {

    /** An item of {@code length} bytes, each {@code fill}: what the spool writes in one call. */
    private static byte[] item(int length, int fill) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }

    /** Everything the channel gives until its end, read {@code chunk} bytes at a time. */
    private static byte[] readToEnd(ReadableByteChannel channel, int chunk) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(chunk);
        while (channel.read(buffer) >= 0) {
            all.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return all.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    /** Waits until {@code reader} is blocked in the channel's wait for an item. */
    private static void awaitBlocked(Thread reader) throws InterruptedException {
        while (reader.getState() != Thread.State.WAITING) {
            assertTrue(reader.isAlive(), "the reader ended instead of waiting");
            Thread.sleep(5);
        }
    }

    @Test
    void theReaderGetsEveryItemInOrderAndThenTheEnd() throws IOException {
        LegFeed feed = new LegFeed(1 << 20, () -> { });
        byte[] header = item(24, 1);
        byte[] first = item(40, 2);
        byte[] second = item(60, 3);
        feed.write(header, 0, header.length);
        feed.write(first, 0, first.length);
        // Part of a larger array, as a spool hands over a record from its buffer.
        byte[] padded = concat(item(5, 9), second, item(7, 9));
        feed.write(padded, 5, second.length);
        feed.write(4);
        feed.close();

        // Seven bytes at a time: every read crosses items or ends inside one.
        assertArrayEquals(concat(header, first, second, new byte[] {4}), readToEnd(feed.channel(), 7));
        assertEquals(3, feed.records(), "the header is not a record; the single byte is");
        assertEquals(0, feed.skipped());
    }

    @Test
    void oneReadTakesAsMuchAsTheBufferHoldsAcrossItems() throws IOException {
        LegFeed feed = new LegFeed(1 << 20, () -> { });
        feed.write(item(24, 1), 0, 24);
        feed.write(item(16, 2), 0, 16);
        ByteBuffer buffer = ByteBuffer.allocate(100);

        assertEquals(40, feed.channel().read(buffer));
        assertEquals(40, buffer.position());
    }

    @Test
    void aReaderThatFellBehindLosesRecordsButNeverTheHeaderAndIsToldOnce() throws IOException {
        AtomicInteger told = new AtomicInteger();
        LegFeed feed = new LegFeed(100, told::incrementAndGet);
        ReadableByteChannel channel = feed.channel();
        byte[] header = item(120, 1);
        feed.write(header, 0, header.length);
        assertEquals(0, feed.skipped(), "the header passes even past the limit: nothing after it reads without it");
        channel.read(ByteBuffer.allocate(header.length));

        byte[] fits = item(60, 2);
        byte[] upToTheLimit = item(40, 3);
        feed.write(fits, 0, fits.length);
        feed.write(upToTheLimit, 0, upToTheLimit.length);
        assertEquals(0, feed.skipped(), "100 bytes behind is still within a limit of 100");

        feed.write(item(1, 4), 0, 1);
        assertEquals(1, told.get(), "the first record left out is said at once");
        feed.write(item(30, 5), 0, 30);
        assertEquals(2, feed.skipped());
        assertEquals(2, feed.records());
        assertEquals(1, told.get(), "the first record left out is said, the next ones are only counted");

        // Once the reader has caught up, records pass again.
        assertEquals(100, channel.read(ByteBuffer.allocate(200)));
        byte[] later = item(90, 6);
        feed.write(later, 0, later.length);
        feed.close();
        assertArrayEquals(later, readToEnd(channel, 1000));
        assertEquals(3, feed.records());
        assertEquals(2, feed.skipped());
        assertEquals(1, told.get());
    }

    @Test
    void nothingIsTakenOnceTheFeedIsClosed() throws IOException {
        AtomicInteger told = new AtomicInteger();
        LegFeed feed = new LegFeed(10, told::incrementAndGet);
        feed.write(item(24, 1), 0, 24);
        feed.close();
        feed.close();
        feed.write(item(50, 2), 0, 50);

        assertArrayEquals(item(24, 1), readToEnd(feed.channel(), 64));
        assertEquals(0, feed.records());
        assertEquals(0, feed.skipped(), "a closed feed leaves nothing out: it takes nothing at all");
        assertEquals(0, told.get());
    }

    @Test
    void aReaderWaitsForTheNextItemAndForTheEnd() throws Exception {
        LegFeed feed = new LegFeed(1 << 20, () -> { });
        ReadableByteChannel channel = feed.channel();
        AtomicInteger bytesRead = new AtomicInteger();
        AtomicReference<Boolean> ended = new AtomicReference<>(false);
        Thread reader = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            try {
                for (int n = channel.read(buffer); n >= 0; n = channel.read(buffer)) {
                    bytesRead.addAndGet(n);
                    buffer.clear();
                }
                ended.set(true);
            } catch (IOException e) {
                ended.set(false);
            }
        });
        reader.start();

        awaitBlocked(reader);
        feed.write(item(24, 1), 0, 24);
        // The writer wakes the reader: it takes the header while the leg goes on, then waits again.
        while (bytesRead.get() < 24) {
            Thread.sleep(5);
        }
        awaitBlocked(reader);
        feed.close();
        reader.join();

        assertEquals(24, bytesRead.get());
        assertTrue(ended.get(), "the reader saw the end once the leg ended");
    }

    @Test
    void aReaderInterruptedWhileWaitingIsToldSoAndKeepsItsInterrupt() throws Exception {
        LegFeed feed = new LegFeed(1 << 20, () -> { });
        ReadableByteChannel channel = feed.channel();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                channel.read(ByteBuffer.allocate(10));
            } catch (IOException e) {
                thrown.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        reader.start();
        awaitBlocked(reader);
        reader.interrupt();
        reader.join();

        assertTrue(thrown.get() instanceof InterruptedIOException, String.valueOf(thrown.get()));
        assertEquals("live copy of a leg: reading interrupted", thrown.get().getMessage());
        assertTrue(stillInterrupted.get(), "the interrupt is kept for the thread's owner");
    }

    @Test
    void theChannelSaysWhetherItsReaderClosedIt() throws IOException {
        ReadableByteChannel channel = new LegFeed(10, () -> { }).channel();
        assertTrue(channel.isOpen());
        channel.close();
        assertFalse(channel.isOpen());
    }
}
