package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.testing.GitHead;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void unknownOptionIsAUsageError() {
        CliRun run = CliRun.of("--no-such-option");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("Unknown option: '--no-such-option'"), run.toString());
    }

    @Test
    void commandLineMistakesSayWhatIsWrongAndWhereTheHelpIsWithoutTheUsageDump() {
        CliRun run = CliRun.of("filter", "inbound-mtls", "--port", "abc");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals(List.of("meshcap: Invalid value for option '--port' (PORT): 'abc' is not a whole number",
                "meshcap: see 'meshcap filter --help'"), run.err().lines().toList());
        CliRun missing = CliRun.of("inspect");
        assertEquals(2, missing.exitCode(), missing.toString());
        assertTrue(missing.err().startsWith("meshcap: name one source: --rules FILE, --netns NAME or --pid PID on this"
                + " machine, or --pod [NS/]NAME in a cluster"), missing.toString());
    }

    @Test
    void theCommandListShowsAWholeSentenceForEveryCommand() {
        CliRun run = CliRun.of("--help");
        List<String> commands = run.out().lines().dropWhile(line -> !line.equals("Commands:")).skip(1)
                .takeWhile(line -> !line.isBlank()).toList();
        assertEquals(Main.commandLine().getSubcommands().size(), commands.size(), run.out());
        commands.forEach(line -> assertTrue(line.endsWith("."), "cut short: " + line));
    }

    @Test
    void aMistypedCommandIsSuggestedTheRightOne() {
        // The command line is built with only the subcommands its arguments name; a name that is none gets them all.
        CliRun run = CliRun.of("marge", "a.pcap", "-o", "b.pcapng");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("Did you mean: meshcap merge"), run.toString());
    }

    @Test
    void noCommandShowsUsageAndIsAUsageError() {
        CliRun run = CliRun.of();
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("Usage: meshcap"), run.toString());
    }

    @Test
    void versionPrintsTheProjectVersion() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().matches("(?s)meshcap \\d+\\.\\d+\\.\\d+.*"), run.toString());
    }

    @Test
    void versionNamesTheCommitItWasBuiltFromAndTheRuntimeItRunsOn() throws Exception {
        List<String> lines = CliRun.of("--version").out().lines().toList();
        assertTrue(lines.get(1).matches("commit " + GitHead.abbreviated() + "(-dirty)?"), lines.toString());
        assertTrue(lines.get(2).startsWith("Java " + Runtime.version() + " "), lines.toString());
        assertTrue(lines.get(2).contains(System.getProperty("java.home")), lines.toString());
    }

    @Test
    void aCommandsVersionIsMeshcapsVersion() {
        CliRun top = CliRun.of("--version");
        CliRun filter = CliRun.of("filter", "--version");
        assertEquals(0, filter.exitCode(), filter.toString());
        assertEquals(top.out(), filter.out());
    }

    @Test
    void helpOfEveryCommandHasExamples() {
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            CliRun run = CliRun.of(command, "--help");
            assertEquals(0, run.exitCode(), command);
            assertTrue(run.out().contains("Examples:"), command + " --help has no examples:\n" + run.out());
        }
    }

    @Test
    void completionScriptCoversCommandsAndPresets() {
        CliRun run = CliRun.of("completion");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("complete -F"), "not a bash completion script");
        assertTrue(run.out().contains("outbound-plain"), "preset names are not completed");
        assertTrue(run.out().contains("--ephemeral-range"), "filter options are not completed");
    }

    @Test
    void userMistakesPrintOneLineWithoutStackTrace() {
        CliRun run = CliRun.of("cidr", "banana");
        assertEquals(2, run.exitCode());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertTrue(!run.err().contains("at io.meshcap"), run.toString());
        CliRun traced = CliRun.of("cidr", "banana", "--stacktrace");
        assertTrue(traced.err().contains("at io.meshcap"), traced.toString());
    }

    @Test
    void captureHelpOffersEveryGroupThenEveryPreset() {
        CliRun run = CliRun.of("capture", "--help");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().replaceAll("\\s+", " ").contains("PRESET A group or preset: sidecar, gateway, inbound-mtls,"
                + " inbound-plain, outbound-plain, outbound-mtls, gateway-downstream, gateway-upstream."), run.out());
    }
}
