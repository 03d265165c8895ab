package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCommandRunnerTest {

    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    @Test
    void keepsStdoutStderrAndExitCodeApart() throws Exception {
        CommandRunner.Result result = runner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertEquals(new CommandRunner.Result(3, "out\n", "err\n"), result);
        assertEquals("err", result.firstErrorLine());
    }

    @Test
    void findsRootToolsOutsideThePath() {
        assertTrue(runner.locate("ip").orElseThrow().startsWith("/"));
        assertTrue(runner.locate("no-such-tool-meshcap").isEmpty());
    }
}
