package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.plan.FilterBuilder;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.FilterNotes;
import io.meshcap.plan.LegFilter;
import io.meshcap.plan.Preset;
import io.meshcap.plan.PresetCatalogue;
import io.meshcap.plan.TargetFacts;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshcap filter}: prints one leg's BPF expression, and with --explain what it means. */
@Command(
        name = "filter",
        sortOptions = false,
        description = {
            "Print the BPF filter for one capture leg, alone on one line, ready for tcpdump.",
            "The expression is compiled with libpcap before it is printed; notes and --explain go to stderr."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap filter inbound-mtls --pod-ip 10.1.2.3 --port 8080 --explain",
            "  tcpdump -ni lo \"$(meshcap filter outbound-plain --pod-ip 10.1.2.3 --ephemeral-range 32768-60999)\"",
            "  meshcap filter gateway-upstream --cluster-cidr 192.168.0.0/12 --service-cidr 10.96.0.0/12",
            "  meshcap filter inbound-plain --pod-ip 10.1.2.3 --pod-ip fd00::3 -p 8080 -p 9080 \\",
            "      --extra-filter 'tcp[tcpflags] & tcp-syn != 0'",
            "",
            "The pod's real ephemeral range: cat /proc/sys/net/ipv4/ip_local_port_range inside its network namespace."
        })
final class FilterCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PRESET", completionCandidates = PresetNames.class,
            description = "The leg to capture: ${COMPLETION-CANDIDATES}.")
    String presetName;

    @Mixin
    FilterOptions options;

    @Option(names = "--extra-filter", paramLabel = "EXPR",
            description = "A BPF expression ANDed with the preset's (checked by libpcap first).")
    String extraFilter;

    @Option(names = "--explain", description = "Explain on stderr: interface, capture point, what the leg shows and why.")
    boolean explain;

    @Option(names = "--filters", paramLabel = "DIR",
            description = "Read presets from DIR/presets.json instead of the bundled catalogue.")
    Path filtersDirectory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PresetCatalogue catalogue = PresetCatalogue.bundledOr(filtersDirectory);
        if (catalogue.isGroup(presetName)) {
            throw MeshcapException.usage("'" + presetName + "' is a group of presets (" + catalogue.resolve(presetName)
                    .stream().map(Preset::name).collect(Collectors.joining(", ")) + "): filter prints one leg's"
                    + " expression, so name one of them; meshcap capture " + presetName + " captures the whole group");
        }
        Preset preset = catalogue.preset(presetName);
        FilterInputs inputs = options.inputs(err, TargetFacts.none());
        LegFilter filter = FilterBuilder.build(preset, inputs, extraFilter);
        FilterNotes.of(List.of(preset), inputs).print(err);
        if (explain) {
            LegExplanation.print(filter, err);
        }
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.println(filter.expression());
        out.flush();
        return 0;
    }
}
