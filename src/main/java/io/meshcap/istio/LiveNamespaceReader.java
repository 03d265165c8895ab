package io.meshcap.istio;

import io.meshcap.MeshcapException;
import io.meshcap.plan.PortRange;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.Commands;
import io.meshcap.sys.Host;
import io.meshcap.sys.NetworkNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the facts {@code inspect} and {@code ports} need from a live namespace: the rules of every back end, the
 * ephemeral port range and the listening sockets. Each tool runs inside the namespace as its own argv.
 */
public final class LiveNamespaceReader {

    /** Both back ends are read when the split tools exist; a pod's rules may be in either (or both). */
    private static final List<List<String>> SPLIT_SAVES = List.of(
            List.of("iptables-legacy-save"), List.of("ip6tables-legacy-save"),
            List.of("iptables-nft-save"), List.of("ip6tables-nft-save"));
    /** Older distributions ship one iptables-save for whichever back end they were built with. */
    private static final List<List<String>> PLAIN_SAVES = List.of(List.of("iptables-save"), List.of("ip6tables-save"));
    private static final List<String> NFT_RULESET = List.of("nft", "list", "ruleset");
    private static final List<String> PORT_RANGE = List.of("cat", "/proc/sys/net/ipv4/ip_local_port_range");

    /** The rules as one dump, in the order the tools ran, and what could not be collected. */
    public record CollectedRules(String dump, List<String> notes) {
        public CollectedRules {
            notes = List.copyOf(notes);
        }
    }

    private final NetworkNamespace target;
    private final Commands runner;

    /** Reads the namespace with the tools of this machine. */
    public LiveNamespaceReader(NetworkNamespace target) {
        this(target, CommandRunner::run);
    }

    public LiveNamespaceReader(NetworkNamespace target, Commands runner) {
        this.target = target;
        this.runner = runner;
    }

    /** Runs the save tools and {@code nft list ruleset}; fails only when none of them could run. */
    public CollectedRules rules() {
        requireLauncher();
        boolean split = SPLIT_SAVES.stream().allMatch(c -> runner.locate(c.get(0)).isPresent());
        List<List<String>> commands = new ArrayList<>(split ? SPLIT_SAVES : PLAIN_SAVES);
        commands.add(NFT_RULESET);
        List<String> outputs = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        int ran = 0;
        for (List<String> command : commands) {
            Optional<CommandRunner.Result> result = runInside(command, missing);
            if (result.isEmpty()) {
                continue;
            }
            ran++;
            if (!result.get().ok()) {
                notes.add(String.join(" ", command) + " failed (exit " + result.get().exitCode() + "): "
                        + result.get().reason());
            }
            outputs.add(result.get().stdout());
        }
        missing.forEach(tool -> notes.add(tool + " is not installed, so its rules were not read; " + Host.installHint(tool)));
        if (ran == 0) {
            throw MeshcapException.failure("cannot read the rules of " + target.describe() + ": none of "
                    + String.join(", ", missing) + " is installed. Install them: apt-get install -y iptables nftables");
        }
        return new CollectedRules(RuleDumpReader.concatenate(outputs), notes);
    }

    /** The namespace's ephemeral port range, or empty when it cannot be read. */
    public Optional<PortRange> ephemeralPortRange() {
        requireLauncher();
        Optional<CommandRunner.Result> result = runInside(PORT_RANGE, new ArrayList<>());
        try {
            return result.filter(CommandRunner.Result::ok).map(r -> PortRange.parse(r.stdout()));
        } catch (MeshcapException e) {
            return Optional.empty();
        }
    }

    /** The output of {@code ss -Htlnupe} inside the namespace. */
    public String listeningSockets() {
        requireLauncher();
        List<String> missing = new ArrayList<>();
        CommandRunner.Result result = runInside(SsParser.LISTENING_SOCKETS, missing).orElseThrow(() -> MeshcapException.failure(
                "ss is not installed, so the listening sockets cannot be read; " + Host.installHint("ss")));
        if (!result.ok()) {
            throw MeshcapException.failure("ss failed in " + target.describe() + " (exit " + result.exitCode() + "): "
                    + result.reason());
        }
        return result.stdout();
    }

    private void requireLauncher() {
        Host.requireRoot("reading the " + target.describe() + " needs root (nsenter enters it)");
        if (runner.locate(NetworkNamespace.LAUNCHER).isEmpty()) {
            throw MeshcapException.failure(NetworkNamespace.LAUNCHER + " is needed to enter the " + target.describe()
                    + " but is not installed; " + Host.installHint(NetworkNamespace.LAUNCHER));
        }
    }

    /** Runs a tool inside the namespace by absolute path; a tool that is not installed is added to {@code missing}. */
    private Optional<CommandRunner.Result> runInside(List<String> command, List<String> missing) {
        Optional<String> program = runner.locate(command.get(0));
        if (program.isEmpty()) {
            missing.add(command.get(0));
            return Optional.empty();
        }
        List<String> resolved = new ArrayList<>(command);
        resolved.set(0, program.get());
        return Optional.of(runner.run(target.enter(resolved)));
    }
}
