package io.meshcap.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.format.SectionInfo;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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

        Leg() throws Exception {
            pipe = Pipe.open();
            writer = CaptureFormats.create("leg", pipe.sink(), OutputFormat.PCAP, null);
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 65535, null, null));
            writer.flush();
        }

        void send(long millis) {
            byte[] data = new byte[60];
            writer.write(new CaptureRecord(0, T0 + millis * MS, data.length, data));
            writer.flush();
        }

        LiveMerger.Input input(String name) {
            return new LiveMerger.Input(name, "leg " + name,
                    () -> CaptureFormats.open(name, pipe.source(), 1 << 16));
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    /** Keeps what the merge writes, in order, for the test to look at while the merge runs. */
    private static final class Written implements CaptureWriter {
        final List<CaptureInterface> interfaces = new CopyOnWriteArrayList<>();
        final List<CaptureRecord> records = new CopyOnWriteArrayList<>();

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
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new LiveMerger(window).merge(inputs, out, RecordTransform.NONE);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
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
            await(() -> out.interfaces.size() == 2, "interfaces");
            assertEquals(List.of("a", "b"), out.interfaces.stream().map(CaptureInterface::name).toList());
            assertEquals("leg a", out.interfaces.get(0).description());

            a.send(10);
            b.send(5);
            await(() -> out.records.size() == 1, "first packet");
            b.send(20);
            await(() -> out.records.size() == 2, "second packet");
            // a@10 waited for b to pass 10; b@20 waits for a, which may still send something before 20.
            assertEquals(List.of("b@5", "a@10"), out.packets());
            a.send(30);
            await(() -> out.records.size() == 3, "third packet");
            assertEquals(List.of("b@5", "a@10", "b@20"), out.packets());
            a.close();
            b.close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of("b@5", "a@10", "b@20", "a@30"), out.packets());
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
            await(() -> out.records.size() == 2, "the packets of the input that is not silent");
            assertEquals(List.of("a@10", "a@11"), out.packets());
            silent.send(5);
            await(() -> out.records.size() == 3, "the late packet");
            a.close();
            silent.close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of("a@10", "a@11", "b@5"), out.packets());
            assertEquals(List.of("meshcap: late: arrived after packets up to 6.000 ms newer were streamed (reorder"
                    + " window 50 ms); it is in time order in the complete capture"), out.records.get(2).comments());
            assertEquals(new LiveMerger.Outcome(3, 1, List.of(2L, 1L), List.of()), outcome);
        }
    }

    @Test
    void anInputThatNeverStartsDoesNotKeepTheOthersInterfacesOrPacketsBack() throws Exception {
        Written out = new Written();
        Pipe neverStarted = Pipe.open();
        try (Leg a = new Leg()) {
            List<LiveMerger.Input> inputs = List.of(a.input("a"), new LiveMerger.Input("never", null,
                    () -> CaptureFormats.open("never", neverStarted.source(), 1 << 16)));
            CompletableFuture<LiveMerger.Outcome> merge = CompletableFuture.supplyAsync(() -> {
                try {
                    return new LiveMerger(Duration.ofMillis(50)).merge(inputs, out, RecordTransform.NONE);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            a.send(10);
            await(() -> out.records.size() == 1, "the packet of the input that started");
            assertEquals(List.of("a"), out.interfaces.stream().map(CaptureInterface::name).toList());
            a.close();
            neverStarted.sink().close();
            LiveMerger.Outcome outcome = merge.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertEquals(1, outcome.packets());
            assertEquals(List.of("never: never: offset 0: empty file, not a capture"), outcome.failures());
        }
    }
}
