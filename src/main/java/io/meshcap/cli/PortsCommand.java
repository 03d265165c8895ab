package io.meshcap.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meshcap.MeshcapException;
import io.meshcap.istio.InboundPath;
import io.meshcap.istio.InterceptionModel;
import io.meshcap.istio.ListeningSocket;
import io.meshcap.istio.LiveNamespaceReader;
import io.meshcap.istio.PortGuide;
import io.meshcap.istio.RuleDumpReader;
import io.meshcap.istio.SsParser;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.text.TextTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshcap ports}: Istio's port guide, or a namespace's listening sockets annotated with it. */
@Command(
        name = "ports",
        mixinStandardHelpOptions = true,
        modelTransformer = OnePodOnly.class,
        description = {"Istio's port guide, or a namespace's listening sockets annotated with it.", "",
            "Without a target: Istio's well-known ports (sidecar, istiod, gateways, ztunnel), where they"
                + " listen and what a capture of each shows. With --netns, --pid or --pod: the namespace's listening"
                + " sockets (ss -Htlnupe run inside it; in a pod, through the helper capture uses, removed afterwards),"
                + " each with its owning process, its Istio role, and whether the pod's interception rules send calls"
                + " to it through the proxy (INTERCEPTED; the rules are read as inspect reads them)."},
        footer = {
            "",
            "Examples:",
            "  meshcap ports",
            "  meshcap ports --pid $(pgrep -o envoy)",
            "  meshcap ports --netns lab --json",
            "  meshcap ports --pod bookinfo/reviews-v1-abc",
            "",
            "A socket with no owning process is held from outside the namespace:",
            "in ambient mode, ztunnel's.",
            "Exit codes: 0 ok, 1 failure (ss or nsenter/ip missing or failing, pod not found), 2 usage error."
        })
public final class PortsCommand implements Callable<Integer> {

    private static final String NO_OWNER = "(no process in this namespace)";
    private static final String NOT_ISTIO = "not an Istio port (the application?)";

    /**
     * A listening socket with what the guide says about it and how inbound calls reach it, for the table and for
     * --json ({@code inbound} is null for the guide alone).
     */
    record AnnotatedSocket(String protocol, String address, int port, List<ListeningSocket.Owner> owners,
            String component, String role, InboundPath inbound) {
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    NamespaceOptions target;

    @Mixin
    KubernetesOptions kubernetes;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PortGuide guide = PortGuide.bundled();
        PrintWriter out = spec.commandLine().getOut();
        if (target != null && kubernetes.requested()) {
            throw MeshcapException.usage("name one target: --netns NAME or --pid PID on this machine, or --pod [NS/]NAME"
                    + " in a cluster");
        }
        if (kubernetes.requested()) {
            KubernetesOptions.PodRead read = kubernetes.readPod(spec.commandLine().getErr(), "ports");
            printSockets(guide, "pod " + read.pod().ref(), read.facts().listeningSockets(read.pod()),
                    read.facts().ruleDump().map(RuleDumpReader::read), out);
        } else if (target != null) {
            NetworkNamespace namespace = target.target();
            LiveNamespaceReader reader = new LiveNamespaceReader(namespace);
            printSockets(guide, namespace.describe(), reader.listeningSockets(), rules(reader), out);
        } else {
            printGuide(guide, out);
        }
        out.flush();
        return 0;
    }

    private void printGuide(PortGuide guide, PrintWriter out) throws IOException {
        if (json) {
            out.println(mapper().writeValueAsString(guide.entries()));
            return;
        }
        TextTable table = new TextTable("COMPONENT", "PORT", "PROTO", "BIND", "ROLE", "WHAT A CAPTURE SHOWS");
        guide.entries().forEach(e -> table.row(e.component(), e.port(), e.protocol(), e.bind(), e.role(), e.capture()));
        table.print(out, "");
    }

    /** The namespace's rules, or empty (said on stderr) when no rule tool could run: the sockets are still listed. */
    private Optional<InterceptionModel> rules(LiveNamespaceReader reader) {
        try {
            return Optional.of(RuleDumpReader.read(reader.rules().dump()));
        } catch (MeshcapException e) {
            spec.commandLine().getErr().println("meshcap: note: " + e.getMessage());
            return Optional.empty();
        }
    }

    private void printSockets(PortGuide guide, String where, String ssOutput, Optional<InterceptionModel> rules,
            PrintWriter out) throws IOException {
        SsParser.Result parsed = SsParser.parse(ssOutput);
        List<AnnotatedSocket> sockets = annotate(guide, parsed.sockets(), rules);
        if (json) {
            out.println(mapper().writeValueAsString(sockets));
            return;
        }
        out.println("Listening sockets in " + where);
        TextTable table = new TextTable("PROTO", "ADDRESS", "PORT", "PROCESS", "ROLE", "INTERCEPTED");
        for (AnnotatedSocket socket : sockets) {
            String owners = socket.owners().isEmpty() ? NO_OWNER : socket.owners().stream()
                    .map(o -> o.process() + "[" + o.pid() + "]").collect(Collectors.joining(", "));
            table.row(socket.protocol(), socket.address(), socket.port(), owners,
                    socket.component() == null ? NOT_ISTIO : socket.component() + ": " + socket.role(),
                    socket.inbound().description());
        }
        table.print(out, "  ");
        parsed.unreadable().forEach(line -> out.println("  (ss line not understood: " + line.strip() + ")"));
    }

    static List<AnnotatedSocket> annotate(PortGuide guide, List<ListeningSocket> sockets,
            Optional<InterceptionModel> rules) {
        return sockets.stream().map(s -> {
            Optional<PortGuide.Entry> entry = guide.roleOf(s.port(), s.protocol(), s.processName());
            return new AnnotatedSocket(s.protocol(), s.address(), s.port(), s.owners(),
                    entry.map(PortGuide.Entry::component).orElse(null), entry.map(PortGuide.Entry::role).orElse(null),
                    InboundPath.of(rules, s));
        }).toList();
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
}
