package io.meshcap.capture.local;

import com.sun.jna.LastErrorException;
import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.TcpdumpArgv;
import io.meshcap.sys.Libc;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs each leg as a tcpdump subprocess inside a local network namespace ({@code nsenter --net}), with the
 * same tcpdump argv that runs in a pod through the Kubernetes API. Each tcpdump dies with meshcap, however
 * meshcap ends (SIGKILL included): it runs under {@code setpriv --pdeathsig KILL}, and its messages go to an
 * anonymous in-memory file, so a killed run leaves neither processes nor files behind.
 */
public final class TcpdumpCaptureSource implements CaptureSource {

    /** How long close() lets each stopped tcpdump flush before killing it. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern DROPPED = Pattern.compile("(\\d+) packets? dropped by kernel");
    /** tcpdump's answer to SIGUSR1 (its counts at the end come one a line instead). */
    private static final Pattern COUNTS = Pattern.compile(
            "(\\d+) packets? captured, (\\d+) packets? received by filter, (\\d+) packets? dropped by kernel");
    private static final int PUMP_CHUNK = 256 << 10;
    /** How long a stop waits for meshcap to read what tcpdump has written before signalling it regardless. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(5);
    private static final Duration DRAIN_POLL = Duration.ofMillis(2);
    /** Asks the kernel to kill the command when its parent ends; setpriv execs it, so the setting carries over. */
    private static final List<String> DIE_WITH_PARENT = List.of("setpriv", "--pdeathsig", "KILL", "--");

    // Copying streams blocks; the common pool has a single thread on a two-core machine.
    private static final ExecutorService IO = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "meshcap-tcpdump-io");
        thread.setDaemon(true);
        return thread;
    });

    private final NetworkNamespace namespace;
    private final Set<ProcessLeg> running = ConcurrentHashMap.newKeySet();

    public TcpdumpCaptureSource(NetworkNamespace namespace) {
        this.namespace = namespace;
    }

    /** The exact command that captures {@code leg} in {@code namespace}, as {@link #start} runs it. */
    public static List<String> command(NetworkNamespace namespace, LegPlan leg) {
        return Stream.concat(DIE_WITH_PARENT.stream(), namespace.enter(TcpdumpArgv.keepingRoot(leg)).stream()).toList();
    }

    /**
     * Starts the leg's tcpdump and returns without waiting for it to listen ({@link LegCapture#listening}).
     * The kernel sends the parent-death signal when the <em>thread</em> that started the process ends, so call
     * this on a thread that outlives the capture (the capture engine's own), never on a short-lived pool thread.
     */
    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
        StderrLog stderr = StderrLog.create();
        OutputPipe output;
        try {
            output = OutputPipe.create();
        } catch (IOException e) {
            stderr.close();
            throw e;
        }
        Process process;
        try {
            process = new ProcessBuilder(command(namespace, leg)).redirectOutput(output.writeEnd().forChild())
                    .redirectError(stderr.writeEnd().forChild()).start();
        } catch (IOException e) {
            stderr.close();
            close(output.stream());
            throw MeshcapException.failure("cannot run setpriv/nsenter/tcpdump (" + e.getMessage()
                    + "); install them with: apt-get install -y tcpdump util-linux");
        } finally {
            stderr.writeEnd().childStarted();
            output.writeEnd().childStarted();
        }
        process.getOutputStream().close();
        CompletableFuture<Void> copy = CompletableFuture.runAsync(() -> pump(output.stream(), sink), IO);
        ProcessLeg capture = new ProcessLeg(leg.label(), copiesPerPacket(leg.interfaceName()), process, output, copy,
                stderr);
        running.add(capture);
        return capture;
    }

    /**
     * How many times "received by filter" counts each packet tcpdump writes from an interface: {@code lo} hands its
     * socket both the sent and the received copy and libpcap keeps one, every other interface hands it once. On
     * {@code any}, lo's packets count twice and the others once, so no factor is right for both: it is taken as 1,
     * and a stop of such a leg that carried lo traffic waits out the drain limit instead of going ahead while the
     * other interfaces' packets may still be unwritten (no preset captures on {@code any}).
     */
    static int copiesPerPacket(String interfaceName) {
        return interfaceName.equals("lo") ? 2 : 1;
    }

    /** tcpdump prints its counts on SIGUSR1 and again when it ends: the last figure is the current one. */
    static OptionalLong lastDropCount(String stderr) {
        Matcher dropped = DROPPED.matcher(stderr);
        OptionalLong last = OptionalLong.empty();
        while (dropped.find()) {
            last = OptionalLong.of(Long.parseLong(dropped.group(1)));
        }
        return last;
    }

    private static void pump(InputStream from, OutputStream to) {
        // Larger than transferTo's 8 KiB, so a busy leg is drained in few reads and the pipe never fills.
        byte[] chunk = new byte[PUMP_CHUNK];
        try (from) {
            for (int n = from.read(chunk); n >= 0; n = from.read(chunk)) {
                to.write(chunk, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static void close(InputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // Nothing was read from it yet.
        }
    }

    /** Stops every tcpdump still running; they flush and exit on SIGTERM. */
    @Override
    public void close() {
        for (ProcessLeg leg : running) {
            leg.stop();
        }
        for (ProcessLeg leg : running) {
            try {
                if (!leg.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    leg.process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                leg.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            leg.stderr.close();
        }
        running.clear();
    }

    /**
     * tcpdump's stderr, redirected into an anonymous in-memory file (memfd) that vanishes with the last descriptor,
     * so nothing is left on disk whatever ends meshcap. The child opens it through {@code /proc/self/fd}; meshcap
     * reads it through a channel of its own. Reading a pipe instead races with the JDK, which drains and closes a
     * child's pipes when it exits: the reader then fails with "Stream closed" and the final statistics (the drop
     * count) are lost.
     */
    private static final class StderrLog {

        private final ChildWriteEnd writeEnd;
        private final FileChannel channel;
        private long linesRead;

        private StderrLog(ChildWriteEnd writeEnd, FileChannel channel) {
            this.writeEnd = writeEnd;
            this.channel = channel;
        }

        static StderrLog create() throws IOException {
            int descriptor;
            try {
                descriptor = Libc.C.memfd_create("meshcap-tcpdump-stderr", Libc.MFD_CLOEXEC);
            } catch (LastErrorException e) {
                throw new IOException("cannot create a memory file for tcpdump's messages (errno " + e.getErrorCode()
                        + ")", e);
            }
            ChildWriteEnd writeEnd = new ChildWriteEnd(descriptor);
            try {
                return new StderrLog(writeEnd, FileChannel.open(ChildWriteEnd.path(descriptor), StandardOpenOption.READ));
            } catch (IOException e) {
                writeEnd.close();
                throw e;
            }
        }

        /** The child's side; once it has its own, meshcap keeps only its reading channel. */
        ChildWriteEnd writeEnd() {
            return writeEnd;
        }

        String text() throws IOException {
            return read(0);
        }

        /**
         * The whole lines written since the last call: a long capture answers a SIGUSR1 every second, so reading
         * the whole file each time would grow with the capture's length.
         */
        String newLines() throws IOException {
            String text = read(linesRead);
            String whole = text.substring(0, text.lastIndexOf('\n') + 1);
            linesRead += whole.getBytes(StandardCharsets.UTF_8).length;
            return whole;
        }

        private String read(long from) throws IOException {
            ByteBuffer unread = ByteBuffer.allocate((int) Math.max(0, channel.size() - from));
            channel.read(unread, from);
            return new String(unread.array(), 0, unread.position(), StandardCharsets.UTF_8);
        }

        /** The whole text, once the process has exited; the memory is released. */
        String finish() {
            try {
                return text();
            } catch (IOException e) {
                return "(tcpdump's messages could not be read: " + e.getMessage() + ")";
            } finally {
                close();
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing a memory file's channel has nothing left to lose.
            }
        }
    }

    /**
     * tcpdump's counts as it answers SIGUSR1.
     *
     * @param captured packets it has written
     * @param received packets that passed the kernel's filter: written, still queued for it, or dropped
     * @param dropped  packets the kernel dropped because tcpdump's buffer was full
     */
    record Counts(long captured, long received, long dropped) {

        /**
         * Whether tcpdump has written all that the kernel queued for it since {@code baseline}, or waiting longer
         * cannot tell (the kernel dropped some). More written than received is caught up too: packets queued before
         * the baseline and written after it.
         */
        boolean caughtUpSince(Counts baseline, int copiesPerPacket) {
            return dropped > baseline.dropped
                    || received - baseline.received <= copiesPerPacket * (captured - baseline.captured);
        }
    }

    private final class ProcessLeg implements LegCapture {

        private final String label;
        private final int copiesPerPacket;
        private final Process process;
        private final OutputPipe output;
        private final CompletableFuture<Void> copy;
        private final StderrLog stderr;
        private final AtomicBoolean stopping = new AtomicBoolean();
        private volatile boolean listening;
        private OptionalLong lastSaid = OptionalLong.empty();

        ProcessLeg(String label, int copiesPerPacket, Process process, OutputPipe output, CompletableFuture<Void> copy,
                StderrLog stderr) {
            this.label = label;
            this.copiesPerPacket = copiesPerPacket;
            this.process = process;
            this.output = output;
            this.copy = copy;
            this.stderr = stderr;
        }

        @Override
        public boolean listening() {
            try {
                // Read again after the exit: a tcpdump that listened and ended at once (-c 1) has said so by then.
                if (!saidListening() && !process.isAlive() && !saidListening()) {
                    throw MeshcapException.failure("leg " + label + ": tcpdump did not start: " + stderr.text().strip());
                }
                return listening;
            } catch (IOException e) {
                throw MeshcapException.failure("leg " + label + ": cannot read tcpdump's messages: " + e.getMessage(),
                        e);
            }
        }

        private boolean saidListening() throws IOException {
            if (!listening && stderr.text().contains(TcpdumpArgv.LISTENING)) {
                listening = true;
                // The counts a stop compares with: what the kernel counted before the filter was in place (traffic
                // that the filter then left out) is never written, and must not be waited for.
                askCounts();
            }
            return listening;
        }

        /** SIGUSR1: tcpdump answers with its counts on stderr. Only once it listens (before, SIGUSR1 ends it). */
        private void askCounts() {
            try {
                Libc.C.kill((int) process.pid(), Libc.SIGUSR1);
            } catch (LastErrorException exited) {
                // It ended meanwhile: there is nothing left to count or wait for.
            }
        }

        /**
         * Sends tcpdump SIGTERM once meshcap has read all it wrote (or after {@link #DRAIN_LIMIT}, if it writes
         * faster than it is read), from a thread of its own so the caller never waits: SIGTERM during a write that
         * waits on a full pipe makes tcpdump end with half a packet ({@link OutputPipe}). Only the first call signals:
         * a second SIGTERM could interrupt tcpdump's final flush the same way.
         */
        @Override
        public void stop() {
            if (stopping.compareAndSet(false, true)) {
                CompletableFuture.runAsync(this::signalOnceDrained, IO);
            }
        }

        private void signalOnceDrained() {
            long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
            awaitCaughtUp(deadline);
            while (!output.drained() && !copy.isDone() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(DRAIN_POLL.toNanos());
            }
            process.destroy();
        }

        /**
         * Waits until tcpdump has written every packet the kernel queued for it since it listened, by its own counts:
         * a spool that has not grown for a while proves nothing (on a loaded machine tcpdump may not run for longer
         * than any pause), and tcpdump ends on SIGTERM without the packets it has not read yet. Gives up at
         * {@code deadline}, and once the kernel dropped packets (the counts can then no longer say what is missing).
         */
        private void awaitCaughtUp(long deadline) {
            if (!listening) {
                return;
            }
            try {
                while (process.isAlive() && System.nanoTime() < deadline) {
                    int answers = answers().size();
                    askCounts();
                    while (answers().size() == answers && process.isAlive() && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(DRAIN_POLL.toNanos());
                    }
                    List<Counts> all = answers();
                    if (all.size() < 2 || all.get(all.size() - 1).caughtUpSince(all.get(0), copiesPerPacket)) {
                        return;
                    }
                }
            } catch (IOException e) {
                // Without its counts the stop goes ahead as it would have.
            }
        }

        /** tcpdump's answers to SIGUSR1 so far, the first one (asked when it listened) first. */
        private List<Counts> answers() throws IOException {
            return COUNTS.matcher(stderr.text()).results().map(answer -> new Counts(Long.parseLong(answer.group(1)),
                    Long.parseLong(answer.group(2)), Long.parseLong(answer.group(3)))).toList();
        }

        /**
         * The drop count tcpdump printed last, after asking it for a new one with SIGUSR1 (setpriv and nsenter exec
         * tcpdump, so the process is tcpdump itself). It is asked only once it listens: before its handler is in
         * place, SIGUSR1 would end it.
         */
        @Override
        public OptionalLong droppedSoFar() {
            boolean askable = false;
            try {
                // Read first: the counts asked for when this call finds tcpdump listening are for the next call.
                OptionalLong said = lastDropCount(stderr.newLines());
                if (said.isPresent()) {
                    lastSaid = said;
                }
                askable = saidListening();
            } catch (IOException e) {
                // The figure stays the last one read; the final count comes from await().
            }
            if (askable && process.isAlive()) {
                askCounts();
            }
            return lastSaid;
        }

        @Override
        public LegOutcome await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return null;
            }
            running.remove(this);
            String said = stderr.finish();
            long drops = lastDropCount(said).orElse(-1);
            int exit = process.exitValue();
            try {
                copy.join();
            } catch (CompletionException e) {
                // What tcpdump captured did not all reach the leg: never hand that over as a clean capture.
                return new LegOutcome(exit == 0 ? 1 : exit, drops, "tcpdump's capture could not be kept: "
                        + e.getCause().getMessage());
            }
            // tcpdump exits 0 on SIGTERM after a clean flush; anything else is its own failure.
            return new LegOutcome(exit, drops, exit == 0 ? "" : said.strip());
        }
    }
}
