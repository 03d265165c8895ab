package io.meshcap.cli;

import io.meshcap.MeshcapException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

/** Entry point: builds the command line, maps failures to exit codes, prints stack traces only on request. */
public final class Main {

    private static final int USAGE_WIDTH = 110;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs meshcap with the given arguments and returns the exit code (0 ok, 1 failure, 2 usage). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Like {@link #run(String...)}, with the text meshcap prints (not a capture stream) going to out and err. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // Answered without picocli, whose start (its converters, the top-level command's model) would be most of
            // the run (docs/benchmarks.md, start-up); the same lines as "meshcap SUBCOMMAND --version".
            for (String line : new VersionProvider().getVersion()) {
                out.println(line);
            }
            out.flush();
            return 0;
        }
        CommandLine cli = commandLine(args);
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    /** The command line with every subcommand. */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /** The command line with the subcommands {@code args} need (see {@link #subcommandsFor}). */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new MeshcapCommand());
        for (Class<?> subcommand : subcommandsFor(args)) {
            // Built as a command line of its own first: that applies its model transformer (OnePodOnly), which
            // picocli's addSubcommand(Class) skips.
            cli.addSubcommand(new CommandLine(subcommand));
        }
        cli.setExecutionExceptionHandler(Main::handleFailure);
        cli.setParameterExceptionHandler(Main::handleUsageError);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // Registered after the subcommands exist, so they apply to every command and mixin.
        cli.registerConverter(Integer.class, Quantities.WholeNumberConverter.ints());
        cli.registerConverter(int.class, Quantities.WholeNumberConverter.ints());
        cli.registerConverter(Long.class, Quantities.WholeNumberConverter.longs());
        cli.registerConverter(long.class, Quantities.WholeNumberConverter.longs());
        cli.setUsageHelpWidth(USAGE_WIDTH);
        return cli;
    }

    /**
     * The subcommands a command line needs. picocli builds a subcommand's model from all of its annotations, which is
     * a good part of a short command's start-up (docs/benchmarks.md), so a command line that names a subcommand gets
     * only that one; anything else (top-level help, a mistyped name that picocli suggests a correction for,
     * {@code completion}, which describes them all) gets every one.
     */
    private static List<Class<?>> subcommandsFor(String[] args) {
        if (args.length > 0 && !args[0].equals("completion")) {
            for (Class<?> subcommand : MeshcapCommand.SUBCOMMANDS) {
                if (subcommand.getAnnotation(CommandLine.Command.class).name().equals(args[0])) {
                    return List.of(subcommand);
                }
            }
        }
        return MeshcapCommand.SUBCOMMANDS;
    }

    /** A mistake on the command line: one line saying what is wrong, one saying where the help is. */
    private static int handleUsageError(CommandLine.ParameterException mistake, String[] args) {
        CommandLine command = mistake.getCommandLine();
        PrintWriter err = command.getErr();
        // picocli starts some messages with "Error: "; meshcap's own prefix says as much.
        err.println("meshcap: " + mistake.getMessage().replaceFirst("^Error: ", ""));
        CommandLine.UnmatchedArgumentException.printSuggestions(mistake, err);
        err.println("meshcap: see '" + command.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return MeshcapException.Kind.USAGE.exitCode();
    }

    private static int handleFailure(Exception failure, CommandLine command, CommandLine.ParseResult parsed) {
        PrintWriter err = command.getErr();
        boolean stackTrace = parsed.hasMatchedOption("--stacktrace")
                || (parsed.subcommand() != null && deepest(parsed).hasMatchedOption("--stacktrace"));
        if (failure instanceof MeshcapException known) {
            err.println("meshcap: " + known.getMessage());
            if (stackTrace) {
                failure.printStackTrace(err);
            }
            err.flush();
            return known.exitCode();
        }
        err.println("meshcap: internal error: " + failure);
        if (stackTrace) {
            failure.printStackTrace(err);
        } else {
            err.println("meshcap: run again with --stacktrace for details, and please report it");
        }
        err.flush();
        return MeshcapException.Kind.FAILURE.exitCode();
    }

    private static CommandLine.ParseResult deepest(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult current = parsed;
        while (current.subcommand() != null) {
            current = current.subcommand();
        }
        return current;
    }
}
