package io.meshcap.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.format.SectionInfo;
import io.meshcap.reassoc.Packets;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.RedirectReassociator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The live merge on inputs that grow while it runs: real pcap streams written into pipes packet by packet, the merge
 * running on its own thread, and what it has written looked at while the inputs are still open.
 */
@Timeout(120)
class LiveMergerTest {

    private static final long T0 = 1_795_333_790_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    /** One growing input: a pcap stream into a pipe, flushed after every packet as tcpdump -U does. */
    private static final class Leg implements AutoCloseable {
        final Pipe pipe;
        final CaptureWriter writer;
        /** Packets its capturer has handed over, counted before they are written, as the live copy of a spool does. */
        final AtomicLong handedOver = new AtomicLong();

        Leg() throws Exception {
            this(Pipe.open());
        }

        /** A leg whose capturer starts now, writing into {@code pipe}, which its input may have opened earlier. */
        Leg(Pipe pipe) {
            this.pipe = pipe;
            writer = CaptureFormats.create("leg", pipe.sink(), OutputFormat.PCAP, null);
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 65535, null, null));
            writer.flush();
        }

        void send(long millis) {
            send(millis, new byte[60]);
        }

        void send(long millis, byte[] data) {
            handedOver.incrementAndGet();
            writer.write(new CaptureRecord(0, T0 + millis * MS, data.length, data));
            writer.flush();
        }

        LiveMerger.Input input(String name) {
            return new LiveMerger.Input(name, "leg " + name,
                    () -> CaptureFormats.open(name, pipe.source(), 1 << 16));
        }

        /** The input of a leg captured on a machine whose clock {@code clock} names. */
        LiveMerger.Input input(String name, String clock) {
            return new LiveMerger.Input(name, "leg " + name,
                    () -> CaptureFormats.open(name, pipe.source(), 1 << 16), clock, handedOver::get);
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    /** The merge's time, set by the test: the wall clock reads {@code T0 + millis}, monotonic time moves with it. */
    private static final class TestClock implements LiveClock {
        volatile long millis;
        /** Reads of the monotonic clock by the merge itself: one at its start, then one per round of its loop. */
        private final AtomicLong looks = new AtomicLong();
        /** Reads by the inputs' threads: one per packet, its arrival time. */
        private final AtomicLong arrivals = new AtomicLong();

        @Override
        public long nanoTime() {
            long now = millis * MS;
            (Thread.currentThread().getName().startsWith("meshcap-live ") ? arrivals : looks).incrementAndGet();
            return now;
        }

        /**
         * Sets the clock and waits until the merge has gone once round its loop at that time (looked at the clocks,
         * written what may go, flushed): the look after the next one is the first certain to read the new time.
         */
        void moveTo(long to) throws InterruptedException {
            millis = to;
            long seen = looks.get();
            await(() -> looks.get() >= seen + 3, "the merge's look at " + to + " ms");
        }

        /** Waits until the merge has started (read the clock for its deadlines). */
        void awaitStart() throws InterruptedException {
            await(() -> looks.get() > 0, "the merge's start");
        }

        /** Waits until {@code packets} packets in all have arrived, each stamped with the time it did. */
        void awaitArrivals(long packets) throws InterruptedException {
            await(() -> arrivals.get() >= packets, packets + " arrivals");
        }

        @Override
        public long epochNanos() {
            return T0 + millis * MS;
        }
    }

    /**
     * Keeps what the merge writes, in order, for the test to look at while the merge runs, and how much of it a reader
     * of the stream would have seen: what was written before the last flush.
     */
    private static final class Written implements CaptureWriter {
        final List<CaptureInterface> interfaces = new CopyOnWriteArrayList<>();
        final List<CaptureRecord> records = new CopyOnWriteArrayList<>();
        private volatile int interfacesShown;
        private volatile int packetsShown;
        /** Thrown by every write once set: the stream's reader has gone away. */
        volatile RuntimeException writeFailure;

        @Override
        public void flush() {
            interfacesShown = interfaces.size();
            packetsShown = records.size();
        }

        /** Interfaces flushed to the stream's reader. */
        int interfacesShown() {
            return interfacesShown;
        }

        /** Packets flushed to the stream's reader. */
        int packetsShown() {
            return packetsShown;
        }

        @Override
        public void describeSection(SectionInfo section) {
        }

        @Override
        public int addInterface(CaptureInterface captureInterface) {
            interfaces.add(captureInterface);
            return interfaces.size() - 1;
        }

        @Override
        public void write(CaptureBlock block) {
            if (writeFailure != null) {
                throw writeFailure;
            }
            records.add((CaptureRecord) block);
        }

        @Override
        public void close() {
        }

        /** Each packet as {@code interface@millis}. */
        List<String> packets() {
            return records.stream().map(r -> interfaces.get(r.interfaceId()).name() + "@"
                    + (r.timestampNanos() - T0) / MS).toList();
        }
    }

    private static CompletableFuture<LiveMerger.Outcome> merge(Duration window, Written out, Leg... legs) {
        List<LiveMerger.Input> inputs = new java.util.ArrayList<>();
        for (int i = 0; i < legs.length; i++) {
            inputs.add(legs[i].input(String.valueOf((char) ('a' + i))));
        }
        return run(new LiveMerger(window), inputs, out, RecordTransform.NONE);
    }

    /** Runs {@code merger} on a thread of its own. */
    private static CompletableFuture<LiveMerger.Outcome> run(LiveMerger merger, List<LiveMerger.Input> inputs,
            CaptureWriter out, RecordTransform transform) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return merger.merge(inputs, out, transform);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Both legs on one machine's clock, merged with the test's clock. */
    private static CompletableFuture<LiveMerger.Outcome> mergeOnOneClock(Duration window, TestClock clock,
            Written out, Leg a, Leg b) {
        return run(new LiveMerger(window, clock), List.of(a.input("a", "node"), b.input("b", "node")), out,
                RecordTransform.NONE);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + HANG_GUARD.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + HANG_GUARD.toSeconds() + " s");
            Thread.sleep(5);
        }
    }

    @Test
    void packetsGoOutInTimeOrderAcrossInputsAsSoonAsNoInputCanStillSendAnEarlierOne() throws Exception {
        Written out = new Written();
        // A window far longer than the test: only the inputs' own progress (their watermarks) lets packets go.
        try (Leg a = new Leg(); Leg b = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = merge(Duration.ofMinutes(10), out, a, b);
            await(() -> out.interfacesShown() == 2, "interfaces");
            assertEquals(List.of("a", "b"), out.interfaces.stream().map(CaptureInterface::name).toList());
            assertEquals("leg a", out.interfaces.get(0).description());

            a.send(10);
            b.send(5);
            await(() -> out.packetsShown() == 1, "first packet");
            b.send(20);
            await(() -> out.packetsShown() == 2, "second packet");
            // a@10 waited for b to pass 10; b@20 waits for a, which may still send something before 20.
            assertEquals(List.of("b@5", "a@10"), out.packets());
            a.send(30);
            await(() -> out.packetsShown() == 3, "third packet");
            assertEquals(List.of("b@5", "a@10", "b@20"), out.packets());
            a.close();
            b.close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of("b@5", "a@10", "b@20", "a@30"), out.packets());
            assertEquals(4, out.packetsShown(), "flushed at the end");
            assertEquals(List.of("a", "b"), out.interfaces.stream().map(CaptureInterface::name).toList());
            assertEquals(new LiveMerger.Outcome(4, 0, List.of(2L, 2L), List.of()), outcome);
        }
    }

    @Test
    void aSilentInputHoldsTheOthersOnlyForTheWindowAndItsLatePacketIsWrittenMarked() throws Exception {
        Written out = new Written();
        try (Leg a = new Leg(); Leg silent = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = merge(Duration.ofMillis(50), out, a, silent);
            a.send(10);
            a.send(11);
            // The silent input is open and may still send anything: the packets go out once they waited the window.
            await(() -> out.packetsShown() == 2, "the packets of the input that is not silent");
            assertEquals(List.of("a@10", "a@11"), out.packets());
            silent.send(5, Packets.link(LinkType.EN10MB, Packets.ip(Packets.ep("198.18.0.2", 40000),
                    Packets.ep("127.0.0.1", 15001), Packets.SYN, 1, 0)));
            await(() -> out.packetsShown() == 3, "the late packet");
            a.close();
            silent.close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of("a@10", "a@11", "b@5"), out.packets());
            assertEquals(List.of("meshcap: late on leg b, TCP 198.18.0.2:40000 > 127.0.0.1:15001: arrived after packets"
                    + " up to 6.000 ms newer were streamed (reorder window 50 ms); it is in time order in the complete"
                    + " capture"), out.records.get(2).comments());
            assertEquals(new LiveMerger.Outcome(3, 1, List.of(2L, 1L), List.of()), outcome);
        }
    }

    @Test
    void anInputThatNeverStartsDoesNotKeepTheOthersInterfacesOrPacketsBack() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        Pipe neverStarted = Pipe.open();
        try (Leg a = new Leg()) {
            List<LiveMerger.Input> inputs = List.of(a.input("a"), new LiveMerger.Input("never", null,
                    () -> CaptureFormats.open("never", neverStarted.source(), 1 << 16)));
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMillis(50), clock), inputs,
                    out, RecordTransform.NONE);
            a.send(10);
            // The interfaces wait 5 s of the merge's clock for the file header of the input that never starts.
            clock.awaitStart();
            clock.awaitArrivals(1);
            clock.moveTo(4_999);
            assertEquals(0, out.interfacesShown());
            clock.moveTo(5_000);
            assertEquals(1, out.interfacesShown());
            assertEquals(1, out.packetsShown(), "the packet of the input that started, past its window");
            assertEquals(List.of("a"), out.interfaces.stream().map(CaptureInterface::name).toList());
            a.close();
            neverStarted.sink().close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(1, outcome.packets());
            assertEquals(List.of("never: never: offset 0: empty file, not a capture"), outcome.failures());
        }
    }

    @Test
    void aSilentInputOfTheSameClockHoldsTheOthersOnlyUntilItsClockHasPassedThem() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        // A window far longer than the test: only the watermarks let packets go.
        try (Leg a = new Leg(); Leg silent = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = mergeOnOneClock(Duration.ofMinutes(10), clock, out, a, silent);
            await(() -> out.interfacesShown() == 2, "interfaces");
            clock.millis = 12;
            a.send(10);
            clock.awaitArrivals(1);
            // Once a@10 has arrived (2 ms late), the silent leg has delivered everything its clock stamped before
            // now - 2 - 20 ms: a@10 goes at 32 ms.
            clock.moveTo(31);
            assertEquals(0, out.packetsShown());
            clock.moveTo(32);
            assertEquals(1, out.packetsShown());

            clock.millis = 10_001;
            a.send(10_000); // held: the silent leg may still deliver anything stamped after its clock less the lag
            silent.send(9_950); // 51 ms after its capture: before a@10000, not late, and the clock's lag grows
            await(() -> out.packetsShown() == 2, "the silent leg's packet");
            clock.awaitArrivals(3);
            // Not before the silent leg's clock less its lag and the margin has passed it: 10000 + 51 + 20.
            clock.moveTo(10_070);
            assertEquals(2, out.packetsShown());
            clock.moveTo(10_071);
            assertEquals(3, out.packetsShown());
            a.close();
            silent.close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of("a@10", "b@9950", "a@10000"), out.packets());
            assertEquals(new LiveMerger.Outcome(3, 0, List.of(2L, 1L), List.of()), outcome);
        }
    }

    @Test
    void aQuietInputWhosePacketsCameLateIsWaitedForAsLongEvenWhenTheBusyOnesOfItsClockComeSooner() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        try (Leg busy = new Leg(); Leg quiet = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = mergeOnOneClock(Duration.ofMinutes(10), clock, out, busy, quiet);
            await(() -> out.interfacesShown() == 2, "interfaces");
            clock.millis = 100;
            quiet.send(0); // 100 ms after its capture, as a ring block handed over on its timeout
            busy.send(1);
            clock.awaitArrivals(2);
            // busy@1 waits until the quiet leg's clock less 100 ms and the margin has passed it: 1 + 100 + 20.
            clock.moveTo(120);
            assertEquals(1, out.packetsShown());
            clock.moveTo(121);
            assertEquals(2, out.packetsShown());
            // Two spans later the clock's lag is the busy leg's 2 ms; the quiet leg's own stays 100 ms.
            for (long at : new long[] {20_000, 30_000}) {
                clock.millis = at;
                busy.send(at - 2);
                long written = out.packetsShown();
                clock.awaitArrivals(written + 1);
                clock.moveTo(at - 2 + 100 + 20 - 1);
                assertEquals(written, out.packetsShown(), "waited for the quiet leg's own lag");
                clock.moveTo(at - 2 + 100 + 20);
                assertEquals(written + 1, out.packetsShown(), "busy@" + (at - 2));
            }
            quiet.close();
            busy.close();
            assertEquals(0, merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).late());
            assertEquals(List.of("b@0", "a@1", "a@19998", "a@29998"), out.packets());
        }
    }

    @Test
    void anInputWithAPacketStillOnItsWayHoldsTheOthersWhateverTheClockSays() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        try (Leg a = new Leg(); Leg b = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = mergeOnOneClock(Duration.ofMinutes(10), clock, out, a, b);
            await(() -> out.interfacesShown() == 2, "interfaces");
            clock.millis = 12;
            a.send(10);
            b.send(5);
            await(() -> out.packetsShown() == 1, "b@5");
            b.handedOver.incrementAndGet(); // b's capturer has handed over a packet that the merge has not read yet
            clock.moveTo(50_000); // b's clock is far past a@10, but b is not caught up with its capturer
            assertEquals(List.of("b@5"), out.packets().subList(0, out.packetsShown()));
            b.writer.write(new CaptureRecord(0, T0 + 8 * MS, 60, new byte[60]));
            b.writer.flush();
            await(() -> out.packetsShown() == 2, "b@8");
            b.close();
            await(() -> out.packetsShown() == 3, "a@10, once b ended");
            a.close();
            assertEquals(0, merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).late());
            assertEquals(List.of("b@5", "b@8", "a@10"), out.packets());
        }
    }

    @Test
    void anInputOfAClockThatHasDeliveredNothingYetHoldsTheOthersForTheWindow() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        try (Leg a = new Leg(); Leg b = new Leg()) {
            // a and b on two machines: nothing is known of how late b's packets arrive until one has.
            List<LiveMerger.Input> inputs = List.of(a.input("a", "node-1"), b.input("b", "node-2"));
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMinutes(10), clock), inputs, out,
                    RecordTransform.NONE);
            await(() -> out.interfacesShown() == 2, "interfaces");
            clock.millis = 12;
            a.send(10);
            clock.millis = 50_000; // far past a@10, but nothing is known of b's clock
            b.send(5);
            await(() -> out.packetsShown() == 1, "b@5");
            b.close();
            await(() -> out.packetsShown() == 2, "a@10, once b ended");
            a.close();
            assertEquals(0, merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).late());
            assertEquals(List.of("b@5", "a@10"), out.packets());
        }
    }

    @Test
    void aPacketTheReassociatorHoldsIsWrittenOnceTheStreamsTimeHasPassedItsBoundWhileTheInputsAreQuiet()
            throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        try (Leg lo = new Leg(); Leg silent = new Leg()) {
            List<LiveMerger.Input> inputs = List.of(lo.input("a", "node"), silent.input("b", "node"));
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMinutes(10), clock), inputs, out,
                    new RedirectReassociator(RedirectPorts.istioDefaults(), false, out));
            await(() -> out.interfacesShown() == 2, "interfaces");
            clock.millis = 11;
            // A SYN to the outbound capture port whose reply is never captured: held until 500 ms of capture time pass.
            lo.send(10, Packets.link(LinkType.EN10MB, Packets.ip(Packets.ep("198.18.0.2", 40000),
                    Packets.ep("127.0.0.1", 15001), Packets.SYN, 1, 0)));
            clock.awaitArrivals(1);
            // The stream's time is the legs' clock less the SYN's 1 ms of lag and the margin: it passes 10 + 500 at 532.
            clock.moveTo(531);
            assertEquals(0, out.packetsShown(), "held for the re-associator's bound");
            clock.moveTo(532);
            assertEquals(1, out.packetsShown(), "the held SYN while both legs are quiet");
            assertEquals(List.of("meshcap: destination 127.0.0.1:15001 left unchanged: the original destination is"
                    + " unknown (no reply of this connection was captured within 500 ms)"), out.records.get(0).comments());
            lo.close();
            silent.close();
            assertEquals(1, merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).packets());
        }
    }

    @Test
    void aLatePacketNamesItsLegAloneWhenItIsNotTcpAndIpv6EndpointsInBrackets() throws Exception {
        Written out = new Written();
        try (Leg a = new Leg(); Leg silent = new Leg()) {
            List<LiveMerger.Input> inputs = List.of(a.input("a"), new LiveMerger.Input("b", null,
                    () -> CaptureFormats.open("b", silent.pipe.source(), 1 << 16)));
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMillis(50)), inputs, out,
                    RecordTransform.NONE);
            a.send(20);
            await(() -> out.packetsShown() == 1, "the packet of the input that is not silent");
            silent.send(5); // 60 zero bytes: no IP packet in it
            silent.send(7, Packets.link(LinkType.EN10MB, Packets.ip(Packets.ep("2001:db8::2", 40000),
                    Packets.ep("::1", 15001), Packets.SYN, 1, 0)));
            await(() -> out.packetsShown() == 3, "the late packets");
            a.close();
            silent.close();
            assertEquals(new LiveMerger.Outcome(3, 2, List.of(1L, 2L), List.of()),
                    merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS));
            assertEquals(List.of("meshcap: late on leg b: arrived after packets up to 15.000 ms newer were streamed"
                    + " (reorder window 50 ms); it is in time order in the complete capture"), out.records.get(1).comments());
            assertEquals(List.of("meshcap: late on leg b, TCP [2001:db8::2]:40000 > [::1]:15001: arrived after packets"
                    + " up to 13.000 ms newer were streamed (reorder window 50 ms); it is in time order in the complete"
                    + " capture"), out.records.get(2).comments());
            assertEquals(null, out.interfaces.get(1).description(), "a pcap leg has no description of its own");
        }
    }

    @Test
    void aStreamWhoseReaderWentAwayEndsSayingSoWhileItsInputStaysQuiet() throws Exception {
        // The viewer has read the stream's interfaces and is closed; one packet comes, then nothing more. The output's
        // writer thread meets the broken pipe only once the merge, done with that packet, waits for its input.
        Pipe viewer = Pipe.open();
        CountDownLatch packetWriting = new CountDownLatch(1);
        CountDownLatch letItGo = new CountDownLatch(1);
        AtomicInteger writes = new AtomicInteger();
        WritableByteChannel heldBack = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer bytes) throws IOException {
                if (writes.incrementAndGet() > 1) {
                    packetWriting.countDown();
                    try {
                        letItGo.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                return viewer.sink().write(bytes);
            }

            @Override
            public boolean isOpen() {
                return viewer.sink().isOpen();
            }

            @Override
            public void close() throws IOException {
                viewer.sink().close();
            }
        };
        CaptureWriter out = CaptureFormats.create("viewer-pipe", heldBack, OutputFormat.PCAPNG, null);
        try (Leg a = new Leg()) {
            FutureTask<LiveMerger.Outcome> merge = new FutureTask<>(() -> new LiveMerger(Duration.ofMillis(50))
                    .merge(List.of(a.input("a")), out, RecordTransform.NONE));
            Thread merging = new Thread(merge, "test-live-merge");
            merging.start();
            ByteBuffer interfaces = ByteBuffer.allocate(4096);
            while (interfaces.position() == 0) {
                viewer.source().read(interfaces);
            }
            viewer.source().close();
            a.send(10);
            assertTrue(packetWriting.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS), "the packet is written out");
            await(() -> merging.getState() == Thread.State.TIMED_WAITING, "the merge waiting for its input");
            letItGo.countDown();

            ExecutionException ended = assertThrows(ExecutionException.class,
                    () -> merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS),
                    "the merge goes on while its input is open and quiet");
            assertTrue(ended.getCause().getMessage().startsWith("viewer-pipe: write failed: Broken pipe"),
                    ended.getCause().getMessage());
        }
        assertThrows(MeshcapException.class, out::close, "closing says the write failed too");
    }

    @Test
    void anInputThatFailsToOpenDoesNotHoldTheInterfacesBackForItsHeader() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock(); // never moves: the interfaces must not wait for the header deadline
        try (Leg a = new Leg()) {
            List<LiveMerger.Input> inputs = List.of(a.input("a"), new LiveMerger.Input("gone", null, () -> {
                throw new IllegalStateException("its capturer did not start");
            }));
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMillis(50), clock), inputs,
                    out, RecordTransform.NONE);
            await(() -> out.interfacesShown() == 1, "the interface of the input that opened");
            assertEquals(0, clock.millis);
            a.send(10);
            // The failed input has ended: nothing holds a@10 back, whatever the window.
            await(() -> out.packetsShown() == 1, "a@10");
            a.close();
            assertEquals(new LiveMerger.Outcome(1, 0, List.of(1L, 0L), List.of("gone: its capturer did not start")),
                    merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS));
        }
    }

    @Test
    void anInputThatStartsAfterTheInterfacesWentOutIsAddedAfterOnesTheTransformDeclared() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        Pipe late = Pipe.open();
        List<String> seen = new CopyOnWriteArrayList<>();
        List<Long> advances = new CopyOnWriteArrayList<>();
        // Declares an interface of its own on the output at the first packet, as re-association does.
        RecordTransform declaring = new RecordTransform() {
            @Override
            public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
                if (seen.isEmpty()) {
                    out.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "declared", null));
                }
                seen.add(captureInterface.name() + "#" + record.interfaceId());
                return List.of(record);
            }

            @Override
            public List<CaptureRecord> advance(long timestampNanos) {
                advances.add(timestampNanos);
                return List.of();
            }
        };
        try (Leg a = new Leg()) {
            List<LiveMerger.Input> inputs = List.of(a.input("a"), new LiveMerger.Input("late", null,
                    () -> CaptureFormats.open("late", late.source(), 1 << 16)));
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMillis(50), clock), inputs,
                    out, declaring);
            a.send(10);
            clock.awaitStart();
            clock.awaitArrivals(1);
            clock.moveTo(5_000);
            assertEquals(1, out.packetsShown(), "a@10, after the header deadline");
            assertEquals(List.of("a", "declared"), out.interfaces.stream().map(CaptureInterface::name).toList());
            try (Leg lateLeg = new Leg(late)) {
                // Declared when its header comes; a reader sees it with the first packet flushed after.
                await(() -> out.interfaces.size() == 3, "the late input's interface");
                lateLeg.send(20);
                a.send(30);
                await(() -> out.packetsShown() == 2, "late@20");
            }
            a.close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(new LiveMerger.Outcome(3, 0, List.of(2L, 1L), List.of()), outcome);
            assertEquals(List.of("a@10", "late@20", "a@30"), out.packets());
            assertEquals(List.of("a#0", "late#2", "a#0"), seen);
            for (int i = 1; i < advances.size(); i++) {
                assertTrue(advances.get(i) > advances.get(i - 1), "the stream's time only moves on: " + advances);
            }
        }
    }

    @Test
    void packetsOfTheSameTimeGoInInputOrderAndNeitherIsLate() throws Exception {
        Written out = new Written();
        try (Leg a = new Leg(); Leg b = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = merge(Duration.ofMinutes(10), out, a, b);
            await(() -> out.interfacesShown() == 2, "interfaces");
            b.send(10);
            a.send(10);
            // Each input has delivered up to 10 ms: nothing earlier can come, so both go, the first input's first.
            await(() -> out.packetsShown() == 2, "both packets");
            assertEquals(List.of("a@10", "b@10"), out.packets());
            a.close();
            b.close();
            assertEquals(new LiveMerger.Outcome(2, 0, List.of(1L, 1L), List.of()),
                    merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS));
        }
    }

    @Test
    void aPacketGoesOnceItHasWaitedTheWholeWindowAndNotBefore() throws Exception {
        Written out = new Written();
        TestClock clock = new TestClock();
        try (Leg a = new Leg(); Leg silent = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMillis(50), clock),
                    List.of(a.input("a"), silent.input("b")), out, RecordTransform.NONE);
            await(() -> out.interfacesShown() == 2, "interfaces");
            a.send(10);
            clock.awaitArrivals(1); // at 0 ms on the merge's clock
            clock.moveTo(49);
            assertEquals(0, out.packetsShown());
            clock.moveTo(50);
            assertEquals(1, out.packetsShown());
            a.close();
            silent.close();
            assertEquals(1, merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).packets());
        }
    }

    @Test
    void inputsThatEndBeforeTheStreamStartsStillGiveItTheirInterfaces() throws Exception {
        Written out = new Written();
        try (Leg a = new Leg(); Leg b = new Leg()) {
            a.close();
            b.close();
            LiveMerger.Outcome outcome = new LiveMerger(Duration.ofMillis(50))
                    .merge(List.of(a.input("a"), b.input("b")), out, RecordTransform.NONE);
            assertEquals(new LiveMerger.Outcome(0, 0, List.of(0L, 0L), List.of()), outcome);
            assertEquals(List.of("a", "b"), out.interfaces.stream().map(CaptureInterface::name).toList());
            assertEquals(2, out.interfacesShown());
        }
    }

    @Test
    void aStreamWhoseReaderHasGoneStopsReadingItsInputs() throws Exception {
        Written out = new Written();
        // Input names of this test's own: its reader threads are told apart from any other test's by them.
        String name = "gone-reader-" + System.nanoTime();
        try (Leg a = new Leg(); Leg b = new Leg()) {
            CompletableFuture<LiveMerger.Outcome> merge = run(new LiveMerger(Duration.ofMinutes(10)),
                    List.of(a.input(name + "-a"), b.input(name + "-b")), out, RecordTransform.NONE);
            await(() -> out.interfacesShown() == 2, "interfaces");
            List<Thread> readers = Thread.getAllStackTraces().keySet().stream()
                    .filter(thread -> thread.getName().startsWith("meshcap-live " + name)).toList();
            assertEquals(2, readers.size());
            // A reader blocked on a leg that never ends must not keep meshcap from exiting.
            readers.forEach(thread -> assertTrue(thread.isDaemon(), thread.getName()));

            out.writeFailure = new IllegalStateException("Broken pipe");
            a.send(10);
            b.send(20);
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS));
            assertEquals("Broken pipe", failed.getCause().getMessage());
            // The legs are still open: their readers end because the merge stopped them.
            await(() -> readers.stream().noneMatch(Thread::isAlive), "the readers' end");
        }
    }
}
