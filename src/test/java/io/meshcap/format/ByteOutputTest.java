package io.meshcap.format;

import static io.meshcap.format.BlockBuilder.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write buffer the format writers put their bytes through, with a buffer of 8 bytes so that every kind of put
 * meets a full one: the bytes in the file, written out by hand; a failed write, reported by the flushes that follow
 * it; interrupts; the writer thread.
 */
class ByteOutputTest {

    private static final int CAPACITY = 8;

    @TempDir
    Path dir;

    @Test
    void everyPutArrivesLittleEndianAndInOrderWhereverTheBufferFills() throws IOException {
        Path file = dir.resolve("out");
        try (ByteOutput out = new ByteOutput(file.toString(), open(file), CAPACITY)) {
            out.put(range(1, 8), false); // fills the buffer to its last byte
            out.putByte(9); // into a full buffer
            out.put(range(10, 16), false); // full again
            out.putShort(0x1211); // into a full buffer
            out.put(range(19, 23), false); // one byte left
            out.putShort(0x1918);
            out.put(range(26, 28), false); // three bytes left
            out.putInt(0x201f1e1d);
            out.put(range(33, 37), true); // five bytes, then three of padding
            out.put(range(38, 57), 2, 13, true); // 40 to 52, longer than the buffer, then three of padding
        }
        byte[] expected = join(range(1, 37), new byte[3], range(40, 52), new byte[3]);
        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    /**
     * The live stream flushes on every pass to learn that its reader went away, also while its legs are quiet and
     * nothing new is buffered: once a write failed, every flush says so.
     */
    @Test
    void aFailedWriteIsReportedByTheFlushAfterItAndByEveryOneThatFollowsEvenWithNothingBuffered() {
        FailingChannel channel = new FailingChannel();
        ByteOutput out = new ByteOutput("/run/viewer.fifo", channel, CAPACITY);
        out.putInt(1);
        out.flush(); // handed to the writer thread, whose write waits
        channel.fail.countDown();
        out.putInt(2);
        // Handing this buffer over takes the first one back, once its write failed.
        assertEquals("/run/viewer.fifo: write failed: Broken pipe (did the reading program exit?)",
                assertThrows(MeshcapException.class, out::flush).getMessage());
        assertThrows(MeshcapException.class, out::flush);
        assertThrows(MeshcapException.class, out::close);
        assertFalse(channel.isOpen());
    }

    /** The flush that hands a buffer over and gets back one whose write failed says so then, not one flush later. */
    @Test
    void theFlushThatGetsAFailedBufferBackReportsIt() throws InterruptedException {
        FailingChannel channel = new FailingChannel();
        ByteOutput out = new ByteOutput("/tmp/capture.pcapng", channel, CAPACITY);
        out.putInt(1);
        out.flush();
        channel.writing.await(); // the writer thread holds the first buffer
        out.putInt(2);
        Thread caller = Thread.currentThread();
        Thread failLater = new Thread(() -> {
            // Fail the first write only once the caller waits for that buffer back, past the check at the flush's start.
            while (!waitsForTheSpareBuffer(caller)) {
                Thread.onSpinWait();
            }
            channel.fail.countDown();
        });
        failLater.start();
        assertEquals("/tmp/capture.pcapng: write failed: Broken pipe (did the reading program exit?)",
                assertThrows(MeshcapException.class, out::flush).getMessage());
        failLater.join();
        assertThrows(MeshcapException.class, out::close);
    }

    @Test
    void anInterruptedFlushFailsAndKeepsTheInterruptForTheCaller() throws IOException {
        Path file = dir.resolve("interrupted");
        ByteOutput out = new ByteOutput(file.toString(), open(file), CAPACITY);
        out.putInt(1);
        Thread.currentThread().interrupt();
        assertEquals(file + ": interrupted while writing", assertThrows(MeshcapException.class, out::flush).getMessage());
        assertTrue(Thread.interrupted(), "the interrupt is kept");
        out.close();
    }

    @Test
    void closingWhileInterruptedStillClosesTheChannelAndKeepsTheInterrupt() throws IOException {
        Path file = dir.resolve("closed");
        FileChannel channel = open(file);
        ByteOutput out = new ByteOutput(file.toString(), channel, CAPACITY);
        Thread.currentThread().interrupt();
        out.close();
        assertTrue(Thread.interrupted(), "the interrupt is kept");
        assertFalse(channel.isOpen());
    }

    /** An output a failing command leaves open never keeps meshcap from exiting; a closed one has its thread done. */
    @Test
    void theWriterThreadIsADaemonAndEndsWithTheOutput() throws IOException {
        Path file = dir.resolve("daemon");
        ByteOutput out = new ByteOutput(file.toString(), open(file), CAPACITY);
        Thread writer = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("meshcap-writer " + file)).findFirst().orElseThrow();
        assertTrue(writer.isDaemon());
        out.putInt(7);
        out.close();
        assertFalse(writer.isAlive());
        assertArrayEquals(new byte[] {7, 0, 0, 0}, Files.readAllBytes(file));
    }

    /** A channel whose first write waits until the test lets it fail, as a pipe whose reader exits meanwhile does. */
    private static final class FailingChannel implements WritableByteChannel {
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch fail = new CountDownLatch(1);
        private volatile boolean open = true;

        @Override
        public int write(ByteBuffer source) throws IOException {
            writing.countDown();
            try {
                fail.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("Broken pipe");
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** Whether {@code thread} is parked in the flush's wait for the buffer the writer thread hands back. */
    private static boolean waitsForTheSpareBuffer(Thread thread) {
        StackTraceElement[] stack = thread.getStackTrace();
        boolean inFlush = Arrays.stream(stack).anyMatch(frame -> frame.getClassName().equals(ByteOutput.class.getName())
                && frame.getMethodName().equals("flush"));
        boolean taking = Arrays.stream(stack).anyMatch(frame -> frame.getMethodName().equals("take"));
        return thread.getState() == Thread.State.WAITING && inFlush && taking;
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** The bytes {@code first} to {@code last}, each its own value. */
    private static byte[] range(int first, int last) {
        byte[] bytes = new byte[last - first + 1];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (first + i);
        }
        return bytes;
    }
}
