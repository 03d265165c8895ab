package io.meshcap.merge;

import com.sun.management.UnixOperatingSystemMXBean;
import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.InterfaceStatistics;
import io.meshcap.format.OutputFormat;
import io.meshcap.format.PacketView;
import io.meshcap.format.SectionInfo;
import io.meshcap.output.ScratchFiles;
import io.meshcap.output.ScratchKind;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Merges capture files into one stream ordered by timestamp, like mergecap, in constant memory.
 *
 * <ul>
 *   <li>Order: a k-way merge that keeps one record of look-ahead per input and always writes the earliest.
 *       Equal timestamps go in input order, and each input's own order is kept (inputs are assumed to be
 *       in time order, as captures are; an input that is not is not sorted).</li>
 *   <li>Interfaces: every interface of every input becomes its own output interface, in input order,
 *       labelled as {@link MergeInput} describes, with all its other options, whether it has packets or not.
 *       Interfaces an input defines after its first packet are added at their place among its blocks.</li>
 *   <li>Other blocks (decryption secrets, interface statistics, name resolution, custom blocks) keep their place
 *       in their input: after the packet before them, before the packet after them. Statistics refer to their
 *       interface's output id. The output's section header carries every input's comments.</li>
 *   <li>More inputs than may be open at once (the fan-in, derived from the open-file limit): consecutive
 *       batches are merged into temporary pcapng spill files (mode 0600, deleted afterwards, also on Ctrl-C; named as
 *       {@link io.meshcap.output.ScratchName} says, so that those of a killed run are found later), and the spill
 *       files are merged in turn. Batches are consecutive, so ties still go in input order. The cost is one
 *       extra write and read of the data, and disk space for it next to the output.</li>
 *   <li>Copies: each input's next packet stays in its reader's buffer ({@link PacketView}) until it is written,
 *       and the transform sees it there ({@link RecordTransform#pass}), so a packet costs one copy (into the write
 *       buffer) and no object unless a transform keeps it.</li>
 * </ul>
 */
public final class Merger {

    /** Read buffers of all open inputs together stay within this. */
    private static final int READ_BUFFER_BUDGET = 32 << 20;
    private static final int MIN_READ_BUFFER = 64 << 10;
    /**
     * File descriptors kept free, beyond those already open, for the output, a spill file and what the JVM may
     * still open (a jar, /dev/urandom for temporary names). Few, so that a low limit ({@code ulimit -n 64}) still
     * leaves dozens of inputs open at once rather than a binary tree of spill merges.
     */
    private static final int RESERVED_DESCRIPTORS = 16;
    private static final int MAX_FAN_IN = 1024;
    private static final int MIN_FAN_IN = 2;
    private static final String SPILL_APPLICATION = "meshcap merge (spill file)";

    private final Path spillDirectory;
    private final int fanIn;

    /**
     * @param spillDirectory where spill files go when there are more inputs than may be open at once;
     *                       the output's directory is a good choice (same disk, same access rights)
     */
    public Merger(Path spillDirectory) {
        this(spillDirectory, fanInFromDescriptorLimit());
    }

    Merger(Path spillDirectory, int fanIn) {
        this.spillDirectory = spillDirectory;
        this.fanIn = Math.max(fanIn, MIN_FAN_IN);
    }

    /**
     * Merges the inputs into {@code output}, passing every record through {@code transform}. Does not close
     * {@code output}.
     *
     * @return one summary per input, in input order
     * @throws MeshcapException naming the file and offset when an input is damaged or unreadable
     */
    public List<InputSummary> merge(List<MergeInput> inputs, CaptureWriter output, RecordTransform transform) {
        List<InputSummary> summaries = new ArrayList<>();
        if (inputs.size() <= fanIn) {
            mergeOpen(inputs, output, transform, summaries);
            return summaries;
        }
        List<Path> spills = new ArrayList<>();
        List<ScratchFiles.Pending> pending = new ArrayList<>();
        try {
            for (int from = 0; from < inputs.size(); from += fanIn) {
                Path spill = createSpill();
                spills.add(spill);
                pending.add(ScratchFiles.removeOnExit(spill, null));
                try (CaptureWriter spillWriter = CaptureFormats.create(spill, OutputFormat.PCAPNG, SPILL_APPLICATION)) {
                    mergeOpen(inputs.subList(from, Math.min(from + fanIn, inputs.size())), spillWriter,
                            RecordTransform.NONE, summaries);
                }
            }
            // Spill interfaces already carry their final labels, so they are merged as they are.
            merge(spills.stream().map(MergeInput::of).toList(), output, transform);
        } finally {
            spills.forEach(ScratchFiles::delete);
            pending.forEach(ScratchFiles.Pending::release);
        }
        return summaries;
    }

    /** Merges inputs that may all be open at once. */
    private void mergeOpen(List<MergeInput> inputs, CaptureWriter output, RecordTransform transform,
                           List<InputSummary> summaries) {
        int bufferSize = Math.max(MIN_READ_BUFFER,
                Math.min(CaptureFormats.DEFAULT_READ_BUFFER, READ_BUFFER_BUDGET / Math.max(inputs.size(), 1)));
        List<CaptureInterface> outputInterfaces = new ArrayList<>();
        List<CaptureRecord> before = new ArrayList<>();
        Cursor[] cursors = new Cursor[inputs.size()];
        try {
            for (int i = 0; i < cursors.length; i++) {
                cursors[i] = new Cursor(i, inputs.get(i), CaptureFormats.open(inputs.get(i).path(), bufferSize));
            }
            output.describeSection(combinedSection(cursors));
            for (Cursor cursor : cursors) {
                // What comes before an input's first packet (secrets, name resolution) comes before every packet,
                // after the interfaces the input defines before it.
                while (cursor.advance() && !cursor.atPacket()) {
                    cursor.mapInterfaces(output, outputInterfaces);
                    writeBlock(cursor, output, transform, outputInterfaces, before);
                }
                cursor.mapInterfaces(output, outputInterfaces);
            }
            RecordHeap heap = new RecordHeap(cursors);
            while (!heap.isEmpty()) {
                Cursor cursor = heap.top();
                writeBlock(cursor, output, transform, outputInterfaces, before);
                boolean more = cursor.advance();
                // An interface the input defined on the way is added where it stands, with or without packets.
                cursor.mapInterfaces(output, outputInterfaces);
                if (more) {
                    heap.topChanged();
                } else {
                    heap.removeTop();
                }
            }
            for (Cursor cursor : cursors) {
                summaries.add(cursor.summary());
            }
        } finally {
            for (Cursor cursor : cursors) {
                if (cursor != null) {
                    cursor.reader.close();
                }
            }
        }
    }

    /**
     * Writes the cursor's head: a packet through the transform, any other block as it is.
     *
     * @param before a list to reuse for what the transform writes before a packet; left empty
     */
    private static void writeBlock(Cursor cursor, CaptureWriter output, RecordTransform transform,
                                   List<CaptureInterface> outputInterfaces, List<CaptureRecord> before) {
        CaptureBlock block = cursor.head;
        if (cursor.atPacket()) {
            PacketView packet = cursor.packet;
            int outputId = cursor.outputIds[packet.interfaceId()];
            packet.moveTo(outputId);
            boolean writeNow = transform.pass(outputInterfaces.get(outputId), packet, before);
            if (!before.isEmpty()) {
                before.forEach(output::write);
                before.clear();
            }
            if (writeNow) {
                output.write(packet);
            }
        } else if (block instanceof InterfaceStatistics statistics) {
            output.write(statistics.withInterfaceId(cursor.outputIds[statistics.interfaceId()]));
        } else {
            output.write(block);
        }
    }

    /**
     * One section header for all inputs: every input's comments (each distinct comment once, in input order), and
     * the capturing hardware and OS when every input that names them names the same.
     */
    private static SectionInfo combinedSection(Cursor[] cursors) {
        Set<String> comments = new LinkedHashSet<>();
        Set<String> hardware = new LinkedHashSet<>();
        Set<String> os = new LinkedHashSet<>();
        for (Cursor cursor : cursors) {
            SectionInfo section = cursor.reader.section();
            comments.addAll(section.comments());
            if (section.hardware() != null) {
                hardware.add(section.hardware());
            }
            if (section.os() != null) {
                os.add(section.os());
            }
        }
        return new SectionInfo(List.copyOf(comments), hardware.size() == 1 ? hardware.iterator().next() : null,
                os.size() == 1 ? os.iterator().next() : null);
    }

    private Path createSpill() {
        try {
            return ScratchFiles.createFile(spillDirectory, "", ScratchKind.SPILL);
        } catch (IOException e) {
            throw MeshcapException.failure(spillDirectory + ": cannot create a spill file for merging many inputs: "
                    + e.getMessage(), e);
        }
    }

    /** How many inputs may be open at once: what the open-file limit leaves after what is open already. */
    static int fanInFromDescriptorLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix) {
            return fanIn(unix.getMaxFileDescriptorCount(), unix.getOpenFileDescriptorCount());
        }
        return MAX_FAN_IN;
    }

    /** The fan-in for an open-file limit of {@code maxDescriptors} with {@code openDescriptors} in use already. */
    static int fanIn(long maxDescriptors, long openDescriptors) {
        long free = maxDescriptors - openDescriptors - RESERVED_DESCRIPTORS;
        return (int) Math.max(MIN_FAN_IN, Math.min(MAX_FAN_IN, free));
    }

    /** One open input: its reader, the next record, the interface mapping and the counters. */
    private static final class Cursor {
        final int index;
        final MergeInput input;
        final CaptureReader reader;
        /** The next packet or block of the input; a packet is {@link #packet}, a view of the reader's buffer. */
        CaptureBlock head;
        final PacketView packet = new PacketView();
        /**
         * Where the head goes in the merged order: a packet's time; for any other block the time of the input's
         * packet before it (before every packet when there is none), so that it is written after that packet and,
         * like in its input, before the packets after it.
         */
        long key = Long.MIN_VALUE;
        int[] outputIds = new int[0];
        int interfacesAtStart;
        long packets;
        long bytes;
        long firstNanos;
        long lastNanos;

        Cursor(int index, MergeInput input, CaptureReader reader) {
            this.index = index;
            this.input = input;
            this.reader = reader;
        }

        /** Reads the next packet or block; false at the end of the input. */
        boolean advance() {
            head = reader.nextBlock(packet);
            if (head == null) {
                return false;
            }
            if (atPacket()) {
                if (packets == 0) {
                    firstNanos = packet.timestampNanos();
                }
                lastNanos = packet.timestampNanos();
                key = lastNanos;
                packets++;
                bytes += packet.capturedLength();
            }
            return true;
        }

        /** Whether the head is a packet. */
        boolean atPacket() {
            return head == packet;
        }

        /**
         * Adds output interfaces for the input's interfaces not added yet: all it has defined so far, so that every
         * block read from it finds its interface.
         */
        void mapInterfaces(CaptureWriter output, List<CaptureInterface> outputInterfaces) {
            if (reader.interfaceCount() == outputIds.length) {
                return; // the common case, checked for every block without copying the list
            }
            List<CaptureInterface> known = reader.interfaces();
            if (outputIds.length == 0) {
                interfacesAtStart = known.size();
            }
            int mapped = outputIds.length;
            outputIds = Arrays.copyOf(outputIds, known.size());
            for (int i = mapped; i < known.size(); i++) {
                CaptureInterface labelled = label(known.get(i), i);
                outputIds[i] = output.addInterface(labelled);
                while (outputInterfaces.size() < outputIds[i]) {
                    outputInterfaces.add(null); // an interface the transform declared itself (RecordTransform)
                }
                outputInterfaces.add(labelled);
            }
        }

        private CaptureInterface label(CaptureInterface original, int id) {
            String name;
            boolean several = interfacesAtStart > 1 || id > 0;
            String own = original.name() != null ? original.name() : "if" + id;
            if (input.name() != null) {
                name = several ? input.name() + "/" + own : input.name();
            } else if (original.name() != null) {
                name = original.name();
            } else {
                name = several ? input.path().getFileName() + "/" + own : input.path().getFileName().toString();
            }
            String description = input.description() != null ? input.description() : original.description();
            return original.relabelled(name, description);
        }

        InputSummary summary() {
            return new InputSummary(input, reader.formatName(), packets, bytes, firstNanos, lastNanos,
                    reader.truncation(), reader.skipped());
        }
    }

    /** A binary min-heap of cursors with a record, ordered by (timestamp, input index). */
    private static final class RecordHeap {
        private final Cursor[] heap;
        private int size;

        RecordHeap(Cursor[] cursors) {
            heap = new Cursor[cursors.length];
            for (Cursor cursor : cursors) {
                if (cursor.head != null) {
                    heap[size++] = cursor;
                }
            }
            for (int i = size / 2 - 1; i >= 0; i--) {
                siftDown(i);
            }
        }

        boolean isEmpty() {
            return size == 0;
        }

        Cursor top() {
            return heap[0];
        }

        /** The top cursor moved to its next record. */
        void topChanged() {
            siftDown(0);
        }

        void removeTop() {
            heap[0] = heap[--size];
            heap[size] = null;
            siftDown(0);
        }

        private void siftDown(int at) {
            Cursor moving = heap[at];
            if (moving == null) {
                return;
            }
            int i = at;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && before(heap[child + 1], heap[child])) {
                    child++;
                }
                if (!before(heap[child], moving)) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = moving;
        }

        private static boolean before(Cursor a, Cursor b) {
            return a.key < b.key || (a.key == b.key && a.index < b.index);
        }
    }
}
