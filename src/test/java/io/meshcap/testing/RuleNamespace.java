package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace of the test's own (a unique {@code mcrules-} name) with rules loaded by the kernel's own tools,
 * so that what meshcap reads back is what {@code iptables-save} and {@code nft list ruleset} really print for them.
 * Needs root, iptables and nftables; CI runs as root and never skips.
 */
public final class RuleNamespace implements AutoCloseable {

    /** How the rules are installed: one of iptables' two back ends, or Istio's native nftables tables. */
    public enum Backend {
        IPTABLES_LEGACY("iptables-legacy-restore", "ip6tables-legacy-restore"),
        IPTABLES_NFT("iptables-nft-restore", "ip6tables-nft-restore"),
        NFTABLES(null, null);

        private final String restore;
        private final String restore6;

        Backend(String restore, String restore6) {
            this.restore = restore;
            this.restore6 = restore6;
        }
    }

    /** What a collector runs in a pod: both iptables back ends for both families, then nft's whole ruleset. */
    private static final List<List<String>> SAVES = List.of(List.of("iptables-legacy-save"),
            List.of("ip6tables-legacy-save"), List.of("iptables-nft-save"), List.of("ip6tables-nft-save"),
            List.of("nft", "list", "ruleset"));

    private final String name;

    private RuleNamespace(String name) {
        this.name = name;
    }

    public static RuleNamespace create() {
        String name = "mcrules-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        OwnedNamespaces.add(name);
        RuleNamespace namespace = new RuleNamespace(name);
        try {
            namespace.inside(List.of("ip", "link", "set", "lo", "up"), null);
        } catch (RuntimeException e) {
            namespace.close();
            throw e;
        }
        return namespace;
    }

    public String name() {
        return name;
    }

    /**
     * Loads {@code rules/variants/VARIANT.v4} and {@code .v6} (iptables-restore input; either may be absent) with
     * the back end's restore tools, or {@code VARIANT.nft} with {@code nft -f}.
     */
    public RuleNamespace load(Backend backend, String variant) {
        if (backend == Backend.NFTABLES) {
            inside(List.of("nft", "-f", "-"), resource(variant + ".nft"));
            return this;
        }
        String v4 = optionalResource(variant + ".v4");
        String v6 = optionalResource(variant + ".v6");
        if (v4 == null && v6 == null) {
            throw new IllegalArgumentException("no iptables rules for variant " + variant);
        }
        if (v4 != null) {
            inside(List.of(backend.restore), v4);
        }
        if (v6 != null) {
            inside(List.of(backend.restore6), v6);
        }
        return this;
    }

    /** The output of one save tool, run inside. */
    public String save(String... argv) {
        return inside(List.of(argv), null);
    }

    /** Every save tool's output, one after the other, as a collector concatenates them. */
    public String dump() {
        StringBuilder dump = new StringBuilder();
        for (List<String> save : SAVES) {
            String output = inside(save, null);
            dump.append(output).append(output.isEmpty() || output.endsWith("\n") ? "" : "\n");
        }
        return dump.toString();
    }

    /** Sets a sysctl inside, e.g. {@code net.ipv4.ip_local_port_range=40000 50999}. */
    public RuleNamespace sysctl(String setting) {
        inside(List.of("sysctl", "-q", "-w", setting), null);
        return this;
    }

    @Override
    public void close() {
        OwnedNamespaces.delete(name);
    }

    private String inside(List<String> argv, String stdin) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(argv);
        return run(command, stdin);
    }

    private static String run(List<String> argv, String stdin) {
        CommandRunner.Result result = CommandRunner.run(argv, stdin);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + " failed (run as root with iptables and nftables"
                    + " installed: apt-get install -y iptables nftables): " + result.reason());
        }
        return result.stdout();
    }

    private static String resource(String name) {
        String text = optionalResource(name);
        if (text == null) {
            throw new IllegalArgumentException("no rules/variants/" + name);
        }
        return text;
    }

    private static String optionalResource(String name) {
        try (InputStream in = RuleNamespace.class.getResourceAsStream("/rules/variants/" + name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
