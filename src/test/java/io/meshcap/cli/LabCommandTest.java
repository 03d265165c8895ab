package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LabCommandTest {

    @Test
    void helpShowsExamples() {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("lab", "up", "--help"));
        assertTrue(out.toString().contains("meshcap lab up --name demo"), out.toString());
    }

    @Test
    void labAloneShowsItsSubcommandsAsAUsageError() {
        CliRun run = CliRun.of("lab");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertTrue(run.err().lines().toList().contains("Usage: meshcap lab [-hV] [--stacktrace] [COMMAND]"), run.err());
        for (String subcommand : new String[] {"up", "down", "status", "traffic"}) {
            assertTrue(run.err().lines().anyMatch(line -> line.startsWith("  " + subcommand + " ")), run.err());
        }
    }

    @Test
    void aBadLabNameIsAUsageError() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("lab", "status", "--name", "Not_Valid"));
        assertTrue(err.toString().startsWith("meshcap: lab name 'Not_Valid' is not usable"), err.toString());
    }

    @Test
    void trafficWithoutALabFailsWithTheFix() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("lab", "traffic", "--name", "mctest-absent"));
        assertTrue(err.toString().contains("run meshcap lab up --name mctest-absent"), err.toString());
    }

    @Test
    void statusOfALabThatIsNotThereIsAnError() {
        String name = io.meshcap.lab.LabFixture.uniqueName();
        CliRun run = CliRun.of("lab", "status", "--name", name);
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("meshcap: there is no lab named " + name + " (meshcap lab up --name " + name + " creates it)",
                run.err().strip());
    }

    @Test
    void trafficOfNoConnectionsIsRefusedBeforeTheLabIsLookedAt() {
        CliRun run = CliRun.of("lab", "traffic", "--name", "mctest-absent", "--inbound", "0", "--outbound", "0");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("meshcap: --inbound 0 --outbound 0 makes no connection; ask for at least one", run.err().strip());
    }
}
