package io.meshcap.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshcap.MeshcapException;
import io.meshcap.capture.local.LocalDiscovery;
import io.meshcap.istio.Inspection;
import io.meshcap.istio.InterceptionModel;
import io.meshcap.istio.LiveNamespaceReader;
import io.meshcap.istio.PortGuide;
import io.meshcap.istio.PresetLegs;
import io.meshcap.istio.RuleDumpReader;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.PresetCatalogue;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshcap inspect}: what the pod's interception rules really do, and what that means for captures. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        modelTransformer = OnePodOnly.class,
        description = {"Explain a pod's interception rules and what they mean for captures.", "",
            "Reads a pod's interception rules (iptables legacy or nft back end, Istio's native nftables"
                + " mode, ambient in-pod rules) and explains them: mode, redirect ports, proxy uid or mark, excluded and"
                + " included ports and CIDRs, DNS capture, excluded interfaces, rules not understood, the ephemeral"
                + " port range, and warnings for capturing. Then each bundled preset as it would capture here: its"
                + " interface, its filter (outbound port from the rules; pod address and application ports found in"
                + " a live namespace or pod, or given with --pod-ip and --port), and where it sees packets relative to"
                + " the REDIRECT. Gateway presets are shown when --cluster-cidr is given.", "",
            "With --pod, the rules, port range and sockets are read inside the pod the way capture reads them"
                + " (--strategy: exec in a privileged proxy, an ephemeral container, or a node pod); what that set up"
                + " is removed before the report is printed."},
        footer = {
            "",
            "Examples:",
            "  meshcap inspect --rules saved.txt         # offline, from a saved dump",
            "  meshcap inspect --rules saved.txt --pod-ip 10.1.2.3 -p 8080",
            "  meshcap inspect --pid $(pgrep -o envoy)   # a running pod, as root on its node",
            "  meshcap inspect --netns lab --json",
            "  meshcap inspect --pod reviews-v1-abc -n bookinfo   # in a cluster, read inside the pod",
            "",
            "Save a dump on the node (PID: any process of the pod):",
            "  nsenter -n -t PID sh -c 'iptables-save; ip6tables-save; nft list ruleset' > saved.txt",
            "Exit codes: 0 ok, 1 failure (a tool failed or is missing, the pod is not found), 2 usage error."
        })
public final class InspectCommand implements Callable<Integer> {

    /** At most one source here: a saved dump or a live namespace; a pod (--pod) is the other choice. */
    static final class Source {
        @Option(names = "--rules", paramLabel = "FILE",
                description = "A saved dump: iptables-save, ip6tables-save and/or nft list ruleset output, concatenated or not.")
        Path rules;

        @ArgGroup(exclusive = true, multiplicity = "1")
        NamespaceOptions live;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    @Mixin
    KubernetesOptions kubernetes;

    @Option(names = "--json", description = "Print the inspection as JSON.")
    boolean json;

    @Mixin
    FilterOptions filterOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if ((source == null) == !kubernetes.requested()) {
            throw MeshcapException.usage("name one source: --rules FILE, --netns NAME or --pid PID on this machine, "
                    + "or --pod [NS/]NAME in a cluster");
        }
        filterOptions.validate();
        if (source == null) {
            return inspectPod();
        }
        NetworkNamespace namespace = source.rules != null ? null : source.live.target();
        LiveNamespaceReader.CollectedRules rules = namespace == null
                ? new LiveNamespaceReader.CollectedRules(read(source.rules), List.of())
                : new LiveNamespaceReader(namespace).rules();
        InterceptionModel model = RuleDumpReader.read(rules.dump());
        TargetFacts facts = namespace == null ? fromRules(model) : LocalDiscovery.discover(namespace);
        return print(namespace == null ? "file " + source.rules : namespace.describe(), model, facts, rules.notes());
    }

    /** The pod's rules, port range and sockets, read inside it as a capture reads them; nothing is left behind. */
    private int inspectPod() throws IOException {
        KubernetesOptions.PodRead read = kubernetes.readPod(spec.commandLine().getErr(), "inspect");
        InterceptionModel model = RuleDumpReader.read(read.facts().ruleDump().orElse(""));
        return print("pod " + read.pod().ref(), model, read.facts().targetFacts(read.pod(), OptionalLong.empty()),
                read.facts().ruleCollectionNotes(read.pod()));
    }

    private int print(String where, InterceptionModel model, TargetFacts facts, List<String> collectionNotes)
            throws IOException {
        // The header, the advice and the preset filters all use the same values: what was found, flags applied.
        FilterInputs inputs = filterOptions.inputs(spec.commandLine().getErr(), facts);
        Inspection inspection = Inspection.of(where, model, inputs, filterOptions.ephemeralRangeOrigin(facts),
                collectionNotes, PortGuide.bundled());
        List<PresetLegs.Leg> legs = PresetLegs.of(PresetCatalogue.bundled().presets(), model, inputs);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode tree = mapper.valueToTree(inspection);
            tree.set("presetLegs", mapper.valueToTree(legs));
            tree.set("presetNotes", mapper.valueToTree(facts.notes()));
            out.println(mapper.writeValueAsString(tree));
        } else {
            InspectionText.print(inspection, out);
            PresetLegsText.print(legs, facts.notes(), out);
        }
        out.flush();
        return 0;
    }

    /** A saved dump says nothing about the pod's addresses or ports: those come from flags. */
    private static TargetFacts fromRules(InterceptionModel model) {
        return new TargetFacts("flags", List.of(), List.of(), null, List.of(), List.copyOf(model.proxyUids()),
                model.outboundRedirectPort(), model.inboundRedirectPort());
    }

    private static String read(Path file) {
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
        // A live namespace may have no rules; a file that has none is the wrong file.
        if (!RuleDumpReader.holdsRules(dump)) {
            throw MeshcapException.usage("no iptables or nft rules found in " + file + ": it holds no iptables-save table"
                    + " and no nft table. Save the pod's rules on its node with: nsenter -n -t PID sh -c"
                    + " 'iptables-save; ip6tables-save; nft list ruleset' > saved.txt");
        }
        return dump;
    }
}
