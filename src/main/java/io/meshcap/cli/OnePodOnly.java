package io.meshcap.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Hides the pod-selection options of {@link KubernetesOptions} from the help of a command that reads one pod
 * ({@code inspect}, {@code ports}): they stay accepted, so {@code --selector} still earns the message that says to
 * give {@code --pod}, but the help no longer offers what the command refuses.
 */
final class OnePodOnly implements CommandLine.IModelTransformer {

    private static final List<String> SELECTION_OPTIONS = List.of("--selector", "--max-parallel");

    @Override
    public CommandSpec transform(CommandSpec spec) {
        for (String name : SELECTION_OPTIONS) {
            OptionSpec option = spec.findOption(name);
            if (option != null) {
                spec.remove(option);
                spec.addOption(OptionSpec.builder(option).hidden(true).build());
            }
        }
        return spec;
    }
}
