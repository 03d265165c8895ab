package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.OutputFormat;
import io.meshcap.merge.InputSummary;
import io.meshcap.merge.MergeInput;
import io.meshcap.merge.Merger;
import io.meshcap.merge.RecordTransform;
import io.meshcap.reassoc.Reassociation;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.tls.KeyLog;
import io.meshcap.tls.SecretsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshcap merge}: parses the arguments and hands the work to {@link Merger}. */
@Command(
        name = "merge",
        header = "Merge pcap and pcapng files into one time-ordered pcapng, one interface per input leg.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Merge pcap and pcapng files into one file ordered by time, like mergecap, keeping every "
                    + "input's interfaces apart so that Wireshark shows which leg each packet came from. "
                    + "Equal timestamps keep the order of the inputs.",
            "Prints one summary line per input on stderr: packets, bytes, first and last time, and a warning "
                    + "for a file whose last record is cut short (the records before it are kept).",
            "pcapng output keeps what the inputs hold: interface and packet options (each comment on its own), "
                    + "decryption secrets, interface statistics, name resolution and copyable custom blocks at their "
                    + "place among the packets, and every input's section comments. Blocks of unknown types are "
                    + "skipped with one note per file."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap merge lo.pcap eth0.pcap -o pod.pcapng",
            "  meshcap merge --name reviews-v1/lo=lo.pcap --name reviews-v1/eth0=eth0.pcap \\",
            "      lo.pcap eth0.pcap -o pod.pcapng",
            "  meshcap merge legs/*.pcap -o - | wireshark -k -i -",
            "  meshcap merge a.pcap b.pcap --format pcap -o ab.pcap",
            "  meshcap merge --reassociate reviews-lo.pcap reviews-eth0.pcap -o reviews.pcapng",
            "  meshcap merge --reassociate --no-stream-comments legs/*.pcap -o - | wireshark -k -i -",
            "  meshcap merge --tls-keylog envoy-keys.log lo.pcap eth0.pcap -o pod.pcapng   # then: tshark -r pod.pcapng -Y http",
            "  meshcap merge --strip-secrets pod.pcapng -o pod-to-share.pcapng",
            "",
            "OUT is replaced only once the new file is complete (a failed or interrupted merge leaves it as it was);",
            "a device or pipe is written as it is.",
            "Output files are created with mode 0600: captures hold private data, and with keys (--tls-keylog, or"
                    + " secrets the inputs carry) anyone who has the file can read the encrypted connections in it;"
                    + " meshcap says so on stderr. See docs/decryption.md."
        })
public final class MergeCommand implements Callable<Integer> {


    @Parameters(paramLabel = "IN", arity = "1..*", description = "Capture files (pcap or pcapng) to merge.")
    List<Path> inputs;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true,
            description = "The merged file, or - for standard output.")
    String output;

    @Option(names = "--name", paramLabel = "LABEL=FILE",
            description = "Label FILE's interface(s) LABEL in the output (if_name), e.g. reviews-v1/eth0=eth0.pcap."
                    + " FILE must be one of the inputs (any spelling of its path).")
    List<String> names = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "pcapng",
            description = "pcapng (default) or pcap (only when all inputs share one link type; packets only: no"
                    + " comments, secrets, statistics or name resolution).")
    OutputFormat format;

    @Option(names = "--reassociate",
            description = "Undo the iptables REDIRECT on lo legs, so outbound connections are one conversation again"
                    + " (see meshcap reassociate --help), and comment each connection's first packet with its leg and"
                    + " the leg it joins (see meshcap streams --help; this reads the inputs twice).")
    boolean reassociate;

    @Option(names = "--no-stream-comments",
            description = "With --reassociate: do not comment each connection's first packet with its leg and join,"
                    + " which saves reading the inputs a second time.")
    boolean noStreamComments;

    @Option(names = "--keep-original",
            description = "Also keep every rewritten packet as captured, just before its rewritten copy.")
    boolean keepOriginal;

    @Mixin
    OutboundPortOption outboundPort;

    @Mixin
    TlsKeyLogOption tlsKeyLog;

    @Option(names = "--strip-secrets",
            description = "Leave out every decryption secrets block (TLS keys and others) the inputs hold, to share the"
                    + " capture without the keys that decrypt it. Says how many it left out.")
    boolean stripSecrets;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<MergeInput> mergeInputs = mergeInputs(inputs, labels(names));
        CaptureOutput out = CaptureOutput.of(output, inputs);
        refuseReassociationOptionsAlone();
        if (reassociate && !noStreamComments) {
            refusePipes(inputs);
        }
        out.reportLeftovers(spec.commandLine().getErr());
        RedirectPorts ports = reassociate ? outboundPort.ports() : null;
        KeyLog keys = keys();
        Function<CaptureWriter, SecretsWriter> secrets = stripSecrets ? SecretsWriter::stripping
                : writer -> SecretsWriter.adding(writer, keys);
        Merger merger = new Merger(out.scratchDirectory());
        Reassociation.Outcome reassociated = ports == null ? null : out.write(format, secrets, writer ->
                Reassociation.merge(merger, mergeInputs, writer, ports, keepOriginal, !noStreamComments, keys));
        List<InputSummary> summaries = reassociated != null ? reassociated.inputs()
                : out.write(format, secrets, writer -> merger.merge(mergeInputs, writer, RecordTransform.NONE));
        for (InputSummary summary : summaries) {
            spec.commandLine().getErr().println(summary.describe());
            summary.truncation().ifPresent(cut -> spec.commandLine().getErr().println("meshcap: warning: " + cut));
            summary.skipped().ifPresent(note -> spec.commandLine().getErr().println("meshcap: note: " + note));
        }
        if (reassociated != null) {
            spec.commandLine().getErr().println(reassociated.stats().describe() + (noStreamComments ? "" : "; "
                    + reassociated.streams().joins().size() + " calls joined across legs, "
                    + reassociated.streams().ambiguous().size() + " ambiguous (meshcap streams lists them)"));
        }
        out.secretsNotes().forEach(spec.commandLine().getErr()::println);
        if (reassociated != null) {
            reassociated.streams().tlsOnPortsWiresharkGivesToOtherProtocols()
                    .forEach(note -> spec.commandLine().getErr().println("meshcap: note: " + note));
        }
        spec.commandLine().getErr().flush();
        return 0;
    }

    /**
     * The keys the output gets (besides the inputs' own), also read by the stream comments' joins; the key logs are
     * read (and checked) before anything is written.
     */
    private KeyLog keys() {
        if (stripSecrets && tlsKeyLog.given()) {
            throw MeshcapException.usage("--strip-secrets leaves every key out, --tls-keylog puts keys in: give one");
        }
        tlsKeyLog.requirePcapng(format);
        return tlsKeyLog.read();
    }

    /** The re-association options do nothing without --reassociate; saying so beats ignoring them. */
    private void refuseReassociationOptionsAlone() {
        for (String option : List.of("--keep-original", "--no-stream-comments", "--outbound-port")) {
            if (!reassociate && spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw MeshcapException.usage(option + " only applies to re-association: add --reassociate");
            }
        }
    }

    /**
     * Commenting streams reads every input twice; a pipe (a FIFO, /dev/stdin fed by a pipe) can be read only once,
     * and opening it again would wait for a writer that never comes.
     */
    private static void refusePipes(List<Path> inputs) {
        for (Path input : inputs) {
            if (Files.exists(input) && !Files.isRegularFile(input)) {
                throw MeshcapException.usage(input + " is a pipe or device, which can be read only once, and"
                        + " --reassociate reads its inputs twice to comment each connection: save it to a file first"
                        + " (cat " + input + " > legs.pcap), or add --no-stream-comments to read it once");
            }
        }
    }

    /** A {@code --name} option: the label, and the option as given for messages. */
    private record FileLabel(String label, String option) {
    }

    /** Parses {@code LABEL=FILE} options into file (as {@link #sameFile} spells it) → label. */
    private static Map<Path, FileLabel> labels(List<String> options) {
        Map<Path, FileLabel> labels = new LinkedHashMap<>();
        for (String option : options) {
            int equals = option.indexOf('=');
            if (equals <= 0 || equals == option.length() - 1) {
                throw MeshcapException.usage("--name " + option + ": expected LABEL=FILE, e.g. reviews-v1/eth0=eth0.pcap");
            }
            FileLabel previous = labels.put(sameFile(Path.of(option.substring(equals + 1))),
                    new FileLabel(option.substring(0, equals), option));
            if (previous != null) {
                throw MeshcapException.usage("--name " + option + ": that file is already labelled (--name "
                        + previous.option() + "); give one label per file");
            }
        }
        return labels;
    }

    private static List<MergeInput> mergeInputs(List<Path> inputs, Map<Path, FileLabel> labels) {
        Set<Path> files = inputs.stream().map(MergeCommand::sameFile).collect(Collectors.toSet());
        for (Map.Entry<Path, FileLabel> label : labels.entrySet()) {
            if (!files.contains(label.getKey())) {
                throw MeshcapException.usage("--name " + label.getValue().option()
                        + ": that file is not among the inputs; list it as an input too");
            }
        }
        List<MergeInput> result = new ArrayList<>();
        for (Path input : inputs) {
            FileLabel label = labels.get(sameFile(input));
            result.add(new MergeInput(input, label == null ? null : label.label(), null));
        }
        return result;
    }

    /**
     * One spelling per file, so that {@code --name x=$PWD/c.pcap} names the input {@code c.pcap}: absolute and
     * normalised (lexically: the files need not exist yet, a missing input is reported when it is opened).
     */
    private static Path sameFile(Path path) {
        return path.toAbsolutePath().normalize();
    }
}
