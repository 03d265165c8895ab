package io.meshcap.cli;

import io.meshcap.MeshcapException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top-level command: only names the subcommands, each of which parses and delegates. */
@Command(
        name = "meshcap",
        mixinStandardHelpOptions = true,
        // --help, --version and --stacktrace work on every subcommand too.
        scope = ScopeType.INHERIT,
        versionProvider = VersionProvider.class,
        description = {
            "Packet captures for Istio service-mesh pods, without the guesswork:",
            "the right BPF filter for each leg, captures on one pod or many, one merged pcapng",
            "in which every TCP stream can be followed."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap filter inbound-mtls --pod-ip 10.1.2.3 --port 8080",
            "  meshcap cidr 192.168.0.0/12",
            "  meshcap completion > /etc/bash_completion.d/meshcap",
            "",
            "Exit codes: 0 ok, 1 failure, 2 usage error."
        })
public final class MeshcapCommand implements Callable<Integer> {

    /** Every subcommand, in the order the top-level help lists them ({@link Main} adds those a command line needs). */
    static final List<Class<?>> SUBCOMMANDS = List.of(FilterCommand.class, CidrCommand.class, CaptureCommand.class,
            MergeCommand.class, ReassociateCommand.class, StreamsCommand.class, InspectCommand.class, PortsCommand.class,
            LabCommand.class, DemoCommand.class, CleanupCommand.class, CompletionCommand.class);

    @Option(names = "--stacktrace", scope = ScopeType.INHERIT,
            description = "Print the stack trace of a failure (for bug reports).")
    boolean stackTrace;

    @Spec
    CommandSpec spec;

    /** Without a subcommand there is nothing to do: show the usage and report a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return MeshcapException.Kind.USAGE.exitCode();
    }
}
