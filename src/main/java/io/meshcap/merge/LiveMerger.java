package io.meshcap.merge;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.SectionInfo;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The time-ordered merge of captures that are still growing (the legs of a running capture), written as the packets
 * arrive: the live counterpart of {@link Merger}, with the same interface labels and the same {@link RecordTransform}
 * hook, so re-association runs on the stream exactly as it runs on files.
 *
 * <p><b>Order.</b> Each input is read on a thread of its own as its packets arrive. A packet is written once no input
 * can still deliver an earlier one: every other input has either a packet waiting, ended, or already delivered one
 * at least as late (its watermark). An input that stays silent holds the others back for at most the reorder
 * window: a packet that has waited that long (wall-clock time since it arrived) is written anyway. A packet that
 * arrives after later ones were written is still written, never dropped, with a comment saying it is late.
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
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final String LATE = "meshcap: late: arrived after packets up to %s ms newer were streamed"
            + " (reorder window %d ms); it is in time order in the complete capture";

    private final long windowNanos;

    /** @param window how long a packet may wait for an earlier one from another input */
    public LiveMerger(Duration window) {
        this.windowNanos = window.toNanos();
    }

    /**
     * One growing capture.
     *
     * @param name        the label of its interface ({@link MergeInput#name()})
     * @param description replaces its interfaces' descriptions, or null
     * @param open        opens its reader; may block until its file header arrives
     */
    public record Input(String name, String description, Supplier<CaptureReader> open) {
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
     * still holds at the end.
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

    private record Arrived(int input, CaptureRecord record, long arrivalNanos) implements Event {
    }

    private record Ended(int input, String failure) implements Event {
    }

    /** One input's state in the merge. */
    private static final class Lane {
        final Input input;
        final ArrayDeque<Arrived> waiting = new ArrayDeque<>();
        List<CaptureInterface> interfaces;
        int[] outputIds;
        long watermark = Long.MIN_VALUE;
        long read;
        boolean ended;

        Lane(Input input) {
            this.input = input;
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
        private long packets;
        private long late;

        Run(List<Input> inputs, CaptureWriter output, RecordTransform transform) {
            inputs.forEach(input -> lanes.add(new Lane(input)));
            this.output = output;
            this.transform = transform;
        }

        Outcome run() throws InterruptedException {
            for (int i = 0; i < lanes.size(); i++) {
                readers.add(startReader(i));
            }
            try {
                long headersBy = System.nanoTime() + HEADER_WAIT.toNanos();
                while (!allEnded() || anyWaiting()) {
                    long now = System.nanoTime();
                    if (!interfacesWritten && (lanes.stream().allMatch(l -> l.interfaces != null || l.ended)
                            || now - headersBy >= 0)) {
                        writeInterfaces();
                        // A reader shows the legs (and a pipe's reader its first bytes) before any packet.
                        output.flush();
                    }
                    if (interfacesWritten && release(now) > 0) {
                        output.flush();
                    }
                    Event event = events.poll(waitNanos(now, headersBy), TimeUnit.NANOSECONDS);
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
                    events.put(new Arrived(index, record, System.nanoTime()));
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
                outputInterfaces.add(labelled);
            }
        }

        private CaptureInterface label(Lane lane, CaptureInterface original, int id) {
            String name = lane.interfaces.size() == 1 ? lane.input.name()
                    : lane.input.name() + "/" + (original.name() != null ? original.name() : "if" + id);
            return original.relabelled(name,
                    lane.input.description() != null ? lane.input.description() : original.description());
        }

        /** Writes every packet that may go now; returns how many. */
        private int release(long now) {
            int written = 0;
            for (Lane next = earliest(); next != null && mayGo(next, now); next = earliest()) {
                write(next, next.waiting.pollFirst());
                written++;
            }
            return written;
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
        private boolean mayGo(Lane lane, long now) {
            Arrived head = lane.waiting.peekFirst();
            if (now - head.arrivalNanos() >= windowNanos) {
                return true;
            }
            long time = head.record().timestampNanos();
            for (Lane other : lanes) {
                if (other != lane && !other.ended && other.waiting.isEmpty() && other.watermark < time) {
                    return false;
                }
            }
            return true;
        }

        private void write(Lane lane, Arrived arrived) {
            CaptureRecord record = arrived.record();
            int outputId = lane.outputIds[record.interfaceId()];
            record = record.interfaceId() == outputId ? record : record.withInterfaceId(outputId);
            if (record.timestampNanos() < lastWritten) {
                late++;
                record = record.plusComment(String.format(Locale.ROOT, LATE,
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

        /** Until the earliest waiting packet's window ends, or the interfaces' deadline; else until something comes. */
        private long waitNanos(long now, long headersBy) {
            long wait = TimeUnit.SECONDS.toNanos(1);
            if (!interfacesWritten) {
                wait = Math.min(wait, headersBy - now);
            }
            for (Lane lane : lanes) {
                Arrived head = lane.waiting.peekFirst();
                if (head != null) {
                    wait = Math.min(wait, head.arrivalNanos() + windowNanos - now);
                }
            }
            return Math.max(wait, 1);
        }

        private boolean allEnded() {
            return lanes.stream().allMatch(lane -> lane.ended);
        }

        private boolean anyWaiting() {
            return lanes.stream().anyMatch(lane -> !lane.waiting.isEmpty());
        }
    }
}
