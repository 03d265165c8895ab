package io.meshcap.merge;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.SectionInfo;
import io.meshcap.net.Addresses;
import io.meshcap.packet.LinkLayer;
import io.meshcap.packet.TcpSegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The time-ordered merge of captures that are still growing (the legs of a running capture), written as the packets
 * arrive: the live counterpart of {@link Merger}, with the same interface labels and the same {@link RecordTransform}
 * hook, so re-association runs on the stream exactly as it runs on files.
 *
 * <p><b>Order.</b> Each input is read on a thread of its own as its packets arrive. A packet is written once no input
 * can still deliver an earlier one: every other input has either a packet waiting, ended, or a watermark at least
 * as late. An input's watermark is the latest packet it delivered, and for an input with a capture clock
 * ({@link Input#clock()}) that has handed over everything it captured, also the time up to which its clock has
 * advanced, less how late that clock's packets arrive ({@link ArrivalLag}): a silent input then holds the others
 * back only as long as a packet of its own would take to arrive. An input whose clock has delivered nothing yet
 * holds the others back for at most the reorder window: a packet that has waited that long (since it arrived) is
 * written anyway. A packet that arrives after later ones were written is still written, never dropped, with a
 * comment saying it is late and on which input.
 *
 * <p><b>Interfaces.</b> The section header and one interface per input come first, once every input has sent its
 * file header (or after {@link #HEADER_WAIT}, for an input whose capturer has not started: its interface is added
 * when its header comes). Each input's interface is named as {@link MergeInput} describes.
 *
 * <p>Memory: the packets waiting for the window and a bounded queue of arrivals; a full queue makes the inputs'
 * threads wait, so the inputs' own buffers decide what happens to a reader that is slower than the capture.
 */
public final class LiveMerger {

    /** How long the interfaces wait for an input's file header before going out without it. */
    static final Duration HEADER_WAIT = Duration.ofSeconds(5);
    private static final int QUEUE = 1 << 16;
    /** How often an idle merge looks at the clocks: the transform may hold packets until the stream's time passes. */
    private static final long IDLE_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final String LATE = "meshcap: late on leg %s: arrived after packets up to %s ms newer were"
            + " streamed (reorder window %d ms); it is in time order in the complete capture";

    private final long windowNanos;
    private final LiveClock clock;

    /** @param window how long a packet may wait for an earlier one from another input */
    public LiveMerger(Duration window) {
        this(window, LiveClock.SYSTEM);
    }

    /**
     * @param window how long a packet may wait for an earlier one from another input
     * @param clock  the time the merge goes by
     */
    public LiveMerger(Duration window, LiveClock clock) {
        this.windowNanos = window.toNanos();
        this.clock = clock;
    }

    /**
     * One growing capture.
     *
     * @param name        the label of its interface ({@link MergeInput#name()})
     * @param description replaces its interfaces' descriptions, or null
     * @param open        opens its reader; may block until its file header arrives
     * @param clock       the clock its packets are stamped with, shared by the inputs of one target (one machine),
     *                    or null when its progress is known from its packets alone
     * @param handedOver  how many packets its source has handed to {@code open}'s reader so far, or null when that
     *                    is not known; with a clock, the input's watermark follows the clock only while the merge
     *                    has read them all
     */
    public record Input(String name, String description, Supplier<CaptureReader> open, String clock,
            LongSupplier handedOver) {

        /** An input whose progress is known from its packets alone. */
        public Input(String name, String description, Supplier<CaptureReader> open) {
            this(name, description, open, null, null);
        }
    }

    /**
     * What the stream held.
     *
     * @param packets       packets written
     * @param late          of those, packets that came after later ones had been written
     * @param perInput      packets read from each input, in input order
     * @param failures      why an input ended early (its reader failed), one line each; empty when none did
     */
    public record Outcome(long packets, long late, List<Long> perInput, List<String> failures) {
    }

    /**
     * Merges the inputs into {@code output} until every input has ended, flushing after each batch of packets, and
     * passes each packet through {@code transform}. Does not close {@code output}, nor write what {@code transform}
     * still holds at the end. The output is flushed at least every {@link #IDLE_TICK_NANOS}, so a write it failed
     * after taking it (the reader of a pipe gone) ends the merge with that failure while the inputs are quiet.
     */
    public Outcome merge(List<Input> inputs, CaptureWriter output, RecordTransform transform)
            throws InterruptedException {
        return new Run(inputs, output, transform).run();
    }

    /** What an input's thread reports, in the order it happened. */
    private sealed interface Event permits Opened, Arrived, Ended {
        int input();
    }

    private record Opened(int input, List<CaptureInterface> interfaces) implements Event {
    }

    /** A packet, when it arrived (monotonic) and how far behind the wall clock it was stamped. */
    private record Arrived(int input, CaptureRecord record, long arrivalNanos, long lagNanos) implements Event {
    }

    private record Ended(int input, String failure) implements Event {
    }

    /** One input's state in the merge. */
    private static final class Lane {
        final Input input;
        /** Its clock's lag, shared with the other inputs of that clock; null without a clock. */
        final ArrivalLag lag;
        /**
         * Its own packets' lag, which a quiet input keeps: a capturer that hands packets over late (a ring block
         * released on a timeout) stays known as late after the busy inputs of its clock have set a shorter lag.
         */
        final ArrivalLag ownLag = new ArrivalLag();
        final ArrayDeque<Arrived> waiting = new ArrayDeque<>();
        List<CaptureInterface> interfaces;
        int[] outputIds;
        long watermark = Long.MIN_VALUE;
        long read;
        boolean ended;

        Lane(Input input, ArrivalLag lag) {
            this.input = input;
            this.lag = lag;
        }

        /**
         * What its clock says it has delivered (see {@link ArrivalLag#deliveredBefore}), by the longer of its clock's
         * lag and its own; {@link Long#MIN_VALUE} without a clock, or while its clock's lag is not known.
         */
        long deliveredByClock(long now, long epochNow) {
            if (lag == null || !lag.known()) {
                return Long.MIN_VALUE;
            }
            long delivered = lag.deliveredBefore(now, epochNow);
            return ownLag.known() ? Math.min(delivered, ownLag.deliveredBefore(now, epochNow)) : delivered;
        }

        /** Every packet its source handed over has been read (and taken by the merge). */
        boolean caughtUp() {
            return input.handedOver() == null || input.handedOver().getAsLong() == read;
        }
    }

    private final class Run {
        private final List<Lane> lanes = new ArrayList<>();
        private final CaptureWriter output;
        private final RecordTransform transform;
        private final List<CaptureInterface> outputInterfaces = new ArrayList<>();
        private final BlockingQueue<Event> events = new ArrayBlockingQueue<>(QUEUE);
        private final List<Thread> readers = new ArrayList<>();
        private final List<String> failures = new ArrayList<>();
        private boolean interfacesWritten;
        private long lastWritten = Long.MIN_VALUE;
        /** The stream's time last passed to the transform. */
        private long advanced = Long.MIN_VALUE;
        private long packets;
        private long late;

        Run(List<Input> inputs, CaptureWriter output, RecordTransform transform) {
            Map<String, ArrivalLag> clocks = new HashMap<>();
            inputs.forEach(input -> lanes.add(new Lane(input,
                    input.clock() == null ? null : clocks.computeIfAbsent(input.clock(), clock -> new ArrivalLag()))));
            this.output = output;
            this.transform = transform;
        }

        Outcome run() throws InterruptedException {
            for (int i = 0; i < lanes.size(); i++) {
                readers.add(startReader(i));
            }
            try {
                long headersBy = clock.nanoTime() + HEADER_WAIT.toNanos();
                while (!allEnded() || anyWaiting()) {
                    long now = clock.nanoTime();
                    long epochNow = clock.epochNanos();
                    if (!interfacesWritten && (lanes.stream().allMatch(l -> l.interfaces != null || l.ended)
                            || now - headersBy >= 0)) {
                        writeInterfaces();
                        // A reader shows the legs (and a pipe's reader its first bytes) before any packet.
                        output.flush();
                    }
                    if (interfacesWritten) {
                        release(now, epochNow);
                        advance(now, epochNow);
                        // On every pass, even one that wrote nothing: a write the output failed after handing it over
                        // (its reader went away) ends the merge here, however quiet the inputs are from then on.
                        output.flush();
                    }
                    Event event = events.poll(waitNanos(now, epochNow, headersBy), TimeUnit.NANOSECONDS);
                    for (; event != null; event = events.poll()) {
                        take(event);
                    }
                }
                if (!interfacesWritten) {
                    writeInterfaces();
                }
                output.flush();
            } finally {
                readers.forEach(Thread::interrupt);
            }
            return new Outcome(packets, late, lanes.stream().map(lane -> lane.read).toList(), failures);
        }

        private Thread startReader(int index) {
            Input input = lanes.get(index).input;
            Thread thread = new Thread(() -> read(index, input), "meshcap-live " + input.name());
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        /** An input's thread: opens it, then reports each packet as it arrives, and the end. */
        private void read(int index, Input input) {
            String failure = null;
            try (CaptureReader reader = input.open().get()) {
                events.put(new Opened(index, reader.interfaces()));
                for (CaptureRecord record = reader.next(); record != null; record = reader.next()) {
                    events.put(new Arrived(index, record, clock.nanoTime(),
                            clock.epochNanos() - record.timestampNanos()));
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                failure = input.name() + ": " + e.getMessage();
            }
            try {
                events.put(new Ended(index, failure));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void take(Event event) {
            Lane lane = lanes.get(event.input());
            if (event instanceof Opened opened) {
                lane.interfaces = opened.interfaces();
                if (interfacesWritten) {
                    addInterfaces(lane);
                }
            } else if (event instanceof Arrived arrived) {
                lane.waiting.addLast(arrived);
                lane.watermark = Math.max(lane.watermark, arrived.record().timestampNanos());
                lane.read++;
                if (lane.lag != null) {
                    lane.lag.observe(arrived.lagNanos(), arrived.arrivalNanos());
                    lane.ownLag.observe(arrived.lagNanos(), arrived.arrivalNanos());
                }
            } else if (event instanceof Ended ended) {
                lane.ended = true;
                if (ended.failure() != null) {
                    failures.add(ended.failure());
                }
            }
        }

        private void writeInterfaces() {
            interfacesWritten = true;
            output.describeSection(SectionInfo.NONE);
            for (Lane lane : lanes) {
                if (lane.interfaces != null) {
                    addInterfaces(lane);
                }
            }
        }

        private void addInterfaces(Lane lane) {
            lane.outputIds = new int[lane.interfaces.size()];
            for (int id = 0; id < lane.interfaces.size(); id++) {
                CaptureInterface labelled = label(lane, lane.interfaces.get(id), id);
                lane.outputIds[id] = output.addInterface(labelled);
                while (outputInterfaces.size() < lane.outputIds[id]) {
                    outputInterfaces.add(null); // an interface the transform declared itself (RecordTransform)
                }
                outputInterfaces.add(labelled);
            }
        }

        private CaptureInterface label(Lane lane, CaptureInterface original, int id) {
            String name = lane.interfaces.size() == 1 ? lane.input.name()
                    : lane.input.name() + "/" + (original.name() != null ? original.name() : "if" + id);
            return original.relabelled(name,
                    lane.input.description() != null ? lane.input.description() : original.description());
        }

        /** Writes every packet that may go now. */
        private void release(long now, long epochNow) {
            for (Lane next = earliest(); next != null && mayGo(next, now, epochNow); next = earliest()) {
                write(next, next.waiting.pollFirst());
            }
        }

        /** The input whose waiting packet is earliest (ties: the earlier input), or null when none waits. */
        private Lane earliest() {
            Lane best = null;
            for (Lane lane : lanes) {
                Arrived head = lane.waiting.peekFirst();
                if (head != null && (best == null
                        || head.record().timestampNanos() < best.waiting.peekFirst().record().timestampNanos())) {
                    best = lane;
                }
            }
            return best;
        }

        /** No other input can still deliver an earlier packet, or this one has waited out the window. */
        private boolean mayGo(Lane lane, long now, long epochNow) {
            Arrived head = lane.waiting.peekFirst();
            if (now - head.arrivalNanos() >= windowNanos) {
                return true;
            }
            long time = head.record().timestampNanos();
            for (Lane other : lanes) {
                if (other != lane && !other.ended && other.waiting.isEmpty()
                        && watermark(other, now, epochNow) < time) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Tells the transform how far the stream's time has moved: the earliest of each open input's first waiting
         * packet or watermark. An input of a target that has delivered nothing yet is left out: its packets, if any
         * come, are late anyway once the window has passed.
         */
        private void advance(long now, long epochNow) {
            long time = Long.MAX_VALUE;
            for (Lane lane : lanes) {
                Arrived head = lane.waiting.peekFirst();
                if (head != null) {
                    time = Math.min(time, head.record().timestampNanos());
                } else if (!lane.ended && (lane.lag == null || lane.lag.known())) {
                    time = Math.min(time, watermark(lane, now, epochNow));
                }
            }
            if (time == Long.MAX_VALUE || time <= advanced) {
                return;
            }
            advanced = time;
            transform.advance(time).forEach(output::write);
        }

        /**
         * No packet stamped before this will come from an input with nothing waiting (late ones aside): the latest it
         * delivered, or, caught up with its source, how far its clock has advanced less the lag.
         */
        private long watermark(Lane lane, long now, long epochNow) {
            if (lane.lag == null || !lane.caughtUp()) {
                return lane.watermark;
            }
            return Math.max(lane.watermark, lane.deliveredByClock(now, epochNow));
        }

        private void write(Lane lane, Arrived arrived) {
            CaptureRecord record = arrived.record();
            int outputId = lane.outputIds[record.interfaceId()];
            record = record.interfaceId() == outputId ? record : record.withInterfaceId(outputId);
            if (record.timestampNanos() < lastWritten) {
                late++;
                record = record.plusComment(String.format(Locale.ROOT, LATE,
                        where(outputInterfaces.get(outputId), record),
                        String.format(Locale.ROOT, "%.3f", (lastWritten - record.timestampNanos())
                                / (double) NANOS_PER_MILLI), windowNanos / NANOS_PER_MILLI));
            } else {
                lastWritten = record.timestampNanos();
            }
            packets++;
            for (CaptureRecord emitted : transform.apply(outputInterfaces.get(outputId), record)) {
                output.write(emitted);
            }
        }

        /**
         * The leg a packet came on and, for TCP, its connection as captured ({@code 10.0.0.1:5000 > 10.0.0.2:80}): the
         * joins between legs are not known while the capture runs (they need the connections' future).
         */
        private static String where(CaptureInterface leg, CaptureRecord record) {
            TcpSegment segment = LinkLayer.supports(leg.linkType()) ? TcpSegment.parse(leg.linkType(), record.data())
                    : null;
            if (segment == null) {
                return leg.name();
            }
            return leg.name() + ", TCP " + endpoint(segment.ip().source(), segment.tcp().sourcePort()) + " > "
                    + endpoint(segment.ip().destination(), segment.tcp().destinationPort());
        }

        private static String endpoint(byte[] address, int port) {
            try {
                String host = Addresses.format(InetAddress.getByAddress(address));
                return address.length == 4 ? host + ":" + port : "[" + host + "]:" + port;
            } catch (UnknownHostException e) {
                throw new IllegalStateException("an IP header's address is 4 or 16 bytes", e);
            }
        }

        /**
         * Until the earliest waiting packet may go (its window ends, or the clocks of the inputs it waits for pass
         * it), or the interfaces' deadline; else until something comes or the next look at the clocks.
         */
        private long waitNanos(long now, long epochNow, long headersBy) {
            long wait = IDLE_TICK_NANOS;
            if (!interfacesWritten) {
                wait = Math.min(wait, headersBy - now);
            }
            for (Lane lane : lanes) {
                Arrived head = lane.waiting.peekFirst();
                if (head != null) {
                    wait = Math.min(wait, head.arrivalNanos() + windowNanos - now);
                }
            }
            Lane next = earliest();
            if (next != null) {
                wait = Math.min(wait, untilClocksPass(next, now, epochNow));
            }
            return Math.max(wait, 1);
        }

        /**
         * How long until every input that holds {@code lane}'s first packet back has a clock past it, or
         * {@link Long#MAX_VALUE} when one of them can pass it only by delivering (no clock, or not caught up).
         */
        private long untilClocksPass(Lane lane, long now, long epochNow) {
            long time = lane.waiting.peekFirst().record().timestampNanos();
            long wait = 0;
            for (Lane other : lanes) {
                if (other == lane || other.ended || !other.waiting.isEmpty() || other.watermark >= time) {
                    continue;
                }
                if (other.lag == null || !other.caughtUp() || !other.lag.known()) {
                    return Long.MAX_VALUE;
                }
                wait = Math.max(wait, time - other.deliveredByClock(now, epochNow));
            }
            return wait;
        }

        private boolean allEnded() {
            return lanes.stream().allMatch(lane -> lane.ended);
        }

        private boolean anyWaiting() {
            return lanes.stream().anyMatch(lane -> !lane.waiting.isEmpty());
        }
    }
}
