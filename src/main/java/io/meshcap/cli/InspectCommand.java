package io.meshcap.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meshcap.MeshcapException;
import io.meshcap.plan.PortRange;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.istio.Inspection;
import io.meshcap.istio.LiveNamespaceReader;
import io.meshcap.istio.PortGuide;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshcap inspect}: what the pod's interception rules really do, and what that means for captures. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {"Explain a pod's interception rules and what they mean for captures.", "",
            "Reads a pod's interception rules (iptables legacy or nft back end, Istio's native nftables"
                + " mode, ambient in-pod rules) and explains them: mode, redirect ports, proxy uid or mark, excluded and"
                + " included ports and CIDRs, DNS capture, excluded interfaces, rules not understood, the ephemeral"
                + " port range, and warnings for capturing."},
        footer = {
            "",
            "Examples:",
            "  meshcap inspect --rules saved.txt         # offline, from a saved dump",
            "  meshcap inspect --pid $(pgrep -o envoy)   # a running pod, as root on its node",
            "  meshcap inspect --netns lab --json",
            "",
            "Save a dump on the node (PID: any process of the pod):",
            "  nsenter -n -t PID sh -c 'iptables-save; ip6tables-save; nft list ruleset' > saved.txt",
            "Exit codes: 0 ok, 1 failure (a tool failed or is missing), 2 usage error."
        })
public final class InspectCommand implements Callable<Integer> {

    /** Exactly one source: a saved dump or a live namespace. */
    static final class Source {
        @Option(names = "--rules", paramLabel = "FILE",
                description = "A saved dump: iptables-save, ip6tables-save and/or nft list ruleset output, concatenated or not.")
        Path rules;

        @ArgGroup(exclusive = true, multiplicity = "1")
        NamespaceOptions live;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--json", description = "Print the inspection as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Inspection inspection = source.rules != null ? offline(source.rules) : live(source.live.target());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(inspection));
        } else {
            InspectionText.print(inspection, out);
        }
        out.flush();
        return 0;
    }

    private static Inspection offline(Path file) {
        String dump;
        try {
            dump = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw MeshcapException.usage("no such file: " + file + " (give the path of a saved iptables-save or nft list ruleset output)");
        } catch (MalformedInputException e) {
            throw MeshcapException.usage(file + " is not text: give iptables-save or nft list ruleset output");
        } catch (IOException e) {
            throw MeshcapException.usage("cannot read " + file + ": " + e.getMessage());
        }
        return Inspection.of("file " + file, dump, PortRange.LINUX_DEFAULT_EPHEMERAL, false, List.of(), PortGuide.bundled());
    }

    private static Inspection live(NetworkNamespace target) {
        LiveNamespaceReader reader = new LiveNamespaceReader(target);
        LiveNamespaceReader.CollectedRules rules = reader.rules();
        Optional<PortRange> range = reader.ephemeralPortRange();
        return Inspection.of(target.describe(), rules.dump(), range.orElse(PortRange.LINUX_DEFAULT_EPHEMERAL),
                range.isPresent(), rules.notes(), PortGuide.bundled());
    }
}
