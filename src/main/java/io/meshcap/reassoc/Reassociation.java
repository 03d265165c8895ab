package io.meshcap.reassoc;

import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.InterfaceStatistics;
import io.meshcap.format.PacketView;
import io.meshcap.merge.InputSummary;
import io.meshcap.merge.MergeInput;
import io.meshcap.merge.Merger;
import io.meshcap.merge.RecordTransform;
import io.meshcap.tls.KeyLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * The entry points that run re-association and stitching over whole captures: what {@code meshcap merge
 * --reassociate}, {@code meshcap reassociate} and {@code meshcap streams} call, and what the capture engine calls
 * to re-associate its merge by default and to show the stream table.
 *
 * <pre>{@code
 * Reassociation.Outcome outcome = Reassociation.merge(new Merger(dir), legs, writer,
 *         RedirectPorts.of(outboundPortFromRules, inboundPortFromRules), false, true, KeyLog.read(keyLogFile));
 * System.err.println(outcome.stats().describe());
 * System.out.print(outcome.streams().describe());
 * }</pre>
 */
public final class Reassociation {

    private Reassociation() {
    }

    /**
     * What a re-associating merge did.
     *
     * @param inputs  the merge's summary per input
     * @param stats   what re-association changed
     * @param streams every connection and the joins between legs, as written into the file's comments; empty
     *                when the merge did not comment streams
     */
    public record Outcome(List<InputSummary> inputs, ReassociationStats stats, StreamTable streams) {
    }

    /**
     * Merges {@code inputs} into {@code output} with re-association; does not close {@code output}.
     *
     * <p>With {@code commentStreams}, each connection's first packet is also commented with its leg and its join
     * (see {@link StreamTable#firstPacketComments()}). That needs the whole stream table before the first packet
     * is written, so the inputs are read twice: once to build the table (without checksums or comments), once
     * to write. Without it, one pass, and {@link Outcome#streams()} is empty.
     *
     * @param keepOriginal   also write each rewritten packet as captured
     * @param commentStreams comment each connection's first packet with its leg and join (two passes)
     * @param keys           TLS keys for joining legs by content in the comments, besides the key logs the inputs
     *                       hold (see {@link Stitcher#Stitcher(RedirectPortsByInterface, KeyLog)})
     */
    public static Outcome merge(Merger merger, List<MergeInput> inputs, CaptureWriter output, RedirectPorts ports,
                                boolean keepOriginal, boolean commentStreams, KeyLog keys) {
        return merge(merger, inputs, output, RedirectPortsByInterface.everywhere(ports), keepOriginal, commentStreams,
                keys);
    }

    /**
     * Merges as {@link #merge(Merger, List, CaptureWriter, RedirectPorts, boolean, boolean, KeyLog)} does, each input
     * re-associated with its own REDIRECT ports (inputs from pods whose rules differ).
     */
    public static Outcome merge(Merger merger, List<MergeInput> inputs, CaptureWriter output,
                                RedirectPortsByInterface ports, boolean keepOriginal, boolean commentStreams,
                                KeyLog keys) {
        StreamTable streams = commentStreams ? streams(merger, inputs, ports, keepOriginal, keys)
                : new StreamTable(List.of(), List.of(), List.of());
        // Without comments, no position has one.
        FirstPacketComments annotate = new FirstPacketComments(
                commentStreams ? streams.firstPacketComments() : Map.of());
        RedirectReassociator reassociator = new RedirectReassociator(ports, keepOriginal, output);
        ChainedTransform write = new ChainedTransform(reassociator, annotate);
        List<InputSummary> summaries = merger.merge(inputs, output, write);
        write.finish().forEach(output::write);
        return new Outcome(summaries, reassociator.stats(), streams);
    }

    /**
     * The stream table of the inputs as {@link #merge} would merge them, without writing anything: for a capture
     * whose packets went to a live stream, so its joins still reach the summary.
     */
    public static StreamTable streams(Merger merger, List<MergeInput> inputs, RedirectPortsByInterface ports,
                                      KeyLog keys) {
        return streams(merger, inputs, ports, false, keys);
    }

    private static StreamTable streams(Merger merger, List<MergeInput> inputs, RedirectPortsByInterface ports,
                                       boolean keepOriginal, KeyLog keys) {
        // The inputs' key logs reach the writer as the merge passes them, before the connections they are for.
        Stitcher stitcher = new Stitcher(ports, keys);
        ChainedTransform survey = new ChainedTransform(RedirectReassociator.surveyOnly(ports, keepOriginal), stitcher);
        LegInterfaces legs = new LegInterfaces();
        merger.merge(inputs, new DiscardingWriter(legs, stitcher::addKeys), legs.onLegs(survey));
        survey.finish();
        return stitcher.table();
    }

    /**
     * Copies every interface, record and other block of {@code input} to {@code output} with re-association, in one
     * pass; closes neither. The output's interfaces are the input's, nameless ones named after {@code inputName} as
     * {@code meshcap merge} names them, and the re-associated interfaces of those whose packets were rewritten.
     */
    public static ReassociationStats copy(CaptureReader input, String inputName, CaptureWriter output,
                                          RedirectPorts ports, boolean keepOriginal) {
        RedirectReassociator reassociator = new RedirectReassociator(ports, keepOriginal, output);
        output.describeSection(input.section());
        List<CaptureInterface> named = new ArrayList<>();
        // Each input interface's id on the output, where re-associated interfaces may come in between.
        List<Integer> outputIds = new ArrayList<>();
        ToIntFunction<CaptureInterface> declare = captureInterface -> {
            outputIds.add(output.addInterface(captureInterface));
            return outputIds.get(outputIds.size() - 1);
        };
        // Packets stay in the reader's buffer: rewritten there, written from there (RedirectReassociator#pass).
        PacketView packet = new PacketView();
        List<CaptureRecord> before = new ArrayList<>();
        for (CaptureBlock block = input.nextBlock(packet); block != null; block = input.nextBlock(packet)) {
            declareNew(input.interfaces(), inputName, named, declare);
            if (block == packet) {
                CaptureInterface captureInterface = named.get(packet.interfaceId());
                packet.moveTo(outputIds.get(packet.interfaceId()));
                boolean writeNow = reassociator.pass(captureInterface, packet, before);
                if (!before.isEmpty()) {
                    before.forEach(output::write);
                    before.clear();
                }
                if (writeNow) {
                    output.write(packet);
                }
            } else if (block instanceof InterfaceStatistics statistics) {
                output.write(statistics.withInterfaceId(outputIds.get(statistics.interfaceId())));
            } else {
                output.write(block);
            }
        }
        declareNew(input.interfaces(), inputName, named, declare);
        reassociator.finish().forEach(output::write);
        return reassociator.stats();
    }

    /**
     * The stream table of one capture file.
     *
     * @param table      every connection and the joins between legs
     * @param truncation how the file's last record was cut short, if it was (the table covers the records before)
     */
    public record FileStreams(StreamTable table, Optional<String> truncation) {
    }

    /**
     * The stream table of a capture file. The file is re-associated on the fly (in memory, nothing is written),
     * so a raw lo capture and an already re-associated one give the same table.
     */
    public static FileStreams streams(Path file, RedirectPorts ports) {
        return streams(file, ports, KeyLog.empty());
    }

    /**
     * The stream table of a capture file whose TLS connections are decrypted with {@code keys} and the key logs the
     * file itself holds (Decryption Secrets Blocks, each counting for the connections after it), so that legs join by
     * the requests they carried.
     */
    public static FileStreams streams(Path file, RedirectPorts ports, KeyLog keys) {
        Stitcher stitcher = new Stitcher(RedirectPortsByInterface.everywhere(ports), keys);
        ChainedTransform chain = new ChainedTransform(
                RedirectReassociator.surveyOnly(RedirectPortsByInterface.everywhere(ports), false), stitcher);
        Optional<String> truncation = survey(file, chain, stitcher::addKeys);
        chain.finish();
        return new FileStreams(stitcher.table(), truncation);
    }

    /**
     * Runs {@code transform} over a file's records and discards what it returns, adding the file's TLS key logs to
     * {@code keys} where they stand; returns the file's truncation. Nameless interfaces (every classic pcap) are
     * named after the file, as {@code meshcap merge} names them, and the packets of a re-associated interface are
     * handed over as its leg's ({@link LegInterfaces}).
     */
    private static Optional<String> survey(Path file, RecordTransform transform, Consumer<KeyLog> keys) {
        List<CaptureInterface> named = new ArrayList<>();
        LegInterfaces legs = new LegInterfaces();
        RecordTransform onLegs = legs.onLegs(transform);
        PacketView packet = new PacketView();
        List<CaptureRecord> discarded = new ArrayList<>();
        try (CaptureReader reader = CaptureFormats.open(file)) {
            for (CaptureBlock block = reader.nextBlock(packet); block != null; block = reader.nextBlock(packet)) {
                declareNew(reader.interfaces(), file.getFileName().toString(), named, legs::declare);
                if (block == packet) {
                    onLegs.pass(named.get(packet.interfaceId()), packet, discarded);
                    discarded.clear();
                } else {
                    DiscardingWriter.keep(block, keys);
                }
            }
            return reader.truncation();
        }
    }

    /**
     * Names and declares the interfaces of {@code interfaces} past those in {@code named}: a nameless one (every
     * classic pcap's) after its file, {@code FILE} or {@code FILE/ifN}, as {@code meshcap merge} names them.
     */
    private static void declareNew(List<CaptureInterface> interfaces, String fileName, List<CaptureInterface> named,
                                   ToIntFunction<CaptureInterface> declare) {
        for (int id = named.size(); id < interfaces.size(); id++) {
            CaptureInterface own = interfaces.get(id);
            String name = own.name() != null ? own.name() : fileName + (id == 0 ? "" : "/if" + id);
            CaptureInterface labelled = own.relabelled(name, own.description());
            named.add(labelled);
            declare.applyAsInt(labelled);
        }
    }
}
