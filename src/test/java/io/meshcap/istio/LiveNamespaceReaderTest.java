package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.plan.PortRange;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.Commands;
import io.meshcap.sys.NetworkNamespace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The argv the reader builds and how it reports missing tools, with a runner that only records. */
class LiveNamespaceReaderTest {

    /** Pretends the given programs are installed under /usr/sbin and answers with canned output. */
    private static final class FakeRunner implements Commands {
        private final Set<String> installed;
        private final Map<String, CommandRunner.Result> answers;
        private final List<List<String>> ran = new ArrayList<>();

        FakeRunner(Set<String> installed, Map<String, CommandRunner.Result> answers) {
            this.installed = installed;
            this.answers = answers;
        }

        @Override
        public CommandRunner.Result run(List<String> argv) {
            ran.add(argv);
            String program = argv.stream().filter(a -> a.startsWith("/usr/sbin/")).findFirst().orElse("")
                    .substring("/usr/sbin/".length());
            return answers.getOrDefault(program, new CommandRunner.Result(argv, 0, "", ""));
        }

        @Override
        public Optional<String> locate(String program) {
            return installed.contains(program) ? Optional.of("/usr/sbin/" + program) : Optional.empty();
        }
    }

    private static final NetworkNamespace LAB = new NetworkNamespace(Path.of("/run/netns/lab"), "lab");
    private static final NetworkNamespace PROCESS = new NetworkNamespace(Path.of("/proc/4242/ns/net"), "pid-4242");

    @Test
    void readsBothBackEndsAndNftInsideTheNamedNamespace() {
        FakeRunner runner = new FakeRunner(Set.of("nsenter", "iptables-legacy-save", "ip6tables-legacy-save",
                "iptables-nft-save", "ip6tables-nft-save", "nft"), Map.of(
                "iptables-nft-save", new CommandRunner.Result(List.of(), 0, RuleDumps.text("default-injection.iptables-save"), "")));
        LiveNamespaceReader.CollectedRules rules = new LiveNamespaceReader(LAB, runner).rules();
        assertEquals(List.of(
                List.of("nsenter", "--net=/run/netns/lab", "--", "/usr/sbin/iptables-legacy-save"),
                List.of("nsenter", "--net=/run/netns/lab", "--", "/usr/sbin/ip6tables-legacy-save"),
                List.of("nsenter", "--net=/run/netns/lab", "--", "/usr/sbin/iptables-nft-save"),
                List.of("nsenter", "--net=/run/netns/lab", "--", "/usr/sbin/ip6tables-nft-save"),
                List.of("nsenter", "--net=/run/netns/lab", "--", "/usr/sbin/nft", "list", "ruleset")), runner.ran);
        assertEquals(InterceptionMode.REDIRECT, RuleDumpReader.read(rules.dump()).mode());
        assertEquals(List.of(), rules.notes());
    }

    @Test
    void pidTargetEntersWithNsenter() {
        FakeRunner runner = new FakeRunner(Set.of("nsenter", "iptables-save", "ip6tables-save", "nft", "cat"),
                Map.of("cat", new CommandRunner.Result(List.of(), 0, "40000\t50000\n", "")));
        LiveNamespaceReader reader = new LiveNamespaceReader(PROCESS, runner);
        reader.rules();
        assertEquals(List.of("nsenter", "--net=/proc/4242/ns/net", "--", "/usr/sbin/iptables-save"), runner.ran.get(0));
        assertEquals(Optional.of(new PortRange(40000, 50000)), reader.ephemeralPortRange());
    }

    @Test
    void missingToolIsNotedWithItsInstallCommand() {
        FakeRunner runner = new FakeRunner(Set.of("nsenter", "iptables-save", "ip6tables-save"), Map.of());
        LiveNamespaceReader.CollectedRules rules = new LiveNamespaceReader(LAB, runner).rules();
        assertEquals(List.of("nft is not installed, so its rules were not read; install it with: apt-get install -y nftables"), rules.notes());
    }

    @Test
    void failingToolIsNotedWithItsError() {
        FakeRunner runner = new FakeRunner(Set.of("nsenter", "iptables-save", "ip6tables-save", "nft"), Map.of(
                "ip6tables-save", new CommandRunner.Result(List.of(), 1, "", "ip6tables-save v1.8.9: Cannot initialize: Permission denied\n")));
        assertEquals(List.of("ip6tables-save failed (exit 1): ip6tables-save v1.8.9: Cannot initialize: Permission denied"),
                new LiveNamespaceReader(LAB, runner).rules().notes());
    }

    @Test
    void noToolAtAllIsAFailureWithTheFix() {
        FakeRunner runner = new FakeRunner(Set.of("nsenter"), Map.of());
        MeshcapException failure = assertThrows(MeshcapException.class, () -> new LiveNamespaceReader(LAB, runner).rules());
        assertEquals(MeshcapException.Kind.FAILURE, failure.kind());
        assertTrue(failure.getMessage().endsWith("Install them: apt-get install -y iptables nftables"), failure.getMessage());
    }

    @Test
    void missingLauncherIsAFailureWithItsPackage() {
        FakeRunner runner = new FakeRunner(Set.of("iptables-save"), Map.of());
        MeshcapException failure = assertThrows(MeshcapException.class,
                () -> new LiveNamespaceReader(PROCESS, runner).rules());
        assertTrue(failure.getMessage().endsWith("apt-get install -y util-linux"), failure.getMessage());
    }

    @Test
    void unreadablePortRangeIsEmpty() {
        FakeRunner runner = new FakeRunner(Set.of("nsenter", "cat"), Map.of("cat", new CommandRunner.Result(List.of(), 0, "nonsense", "")));
        assertEquals(Optional.empty(), new LiveNamespaceReader(LAB, runner).ephemeralPortRange());
    }
}
