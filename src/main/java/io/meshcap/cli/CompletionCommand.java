package io.meshcap.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code meshcap completion}: prints a bash/zsh completion script for every command and preset. */
@Command(
        name = "completion",
        description = "Print a bash (and zsh, via bashcompinit) completion script for meshcap.",
        footer = {
            "",
            "Examples:",
            "  meshcap completion > /etc/bash_completion.d/meshcap",
            "  source <(meshcap completion)"
        })
final class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("meshcap", spec.root().commandLine());
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
