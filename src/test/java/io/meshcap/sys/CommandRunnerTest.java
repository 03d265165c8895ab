package io.meshcap.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {

    @Test
    void keepsStdoutStderrAndExitCodeApart() {
        List<String> argv = List.of("sh", "-c", "echo out; echo err >&2; exit 3");
        CommandRunner.Result result = CommandRunner.run(argv);
        assertEquals(new CommandRunner.Result(argv, 3, "out\n", "err\n"), result);
        assertEquals("err", result.reason());
    }

    @Test
    void givesNoInputWhenNoneIsGiven() {
        assertEquals("", CommandRunner.run(List.of("cat")).stdout());
        assertEquals("typed", CommandRunner.run(List.of("cat"), "typed").stdout());
    }

    @Test
    void findsRootToolsOutsideThePath() {
        assertTrue(CommandRunner.locate("ip").orElseThrow().startsWith("/"));
        assertTrue(CommandRunner.locate("no-such-tool-meshcap").isEmpty());
    }
}
