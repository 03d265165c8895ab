package io.meshcap.lab;

import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Istio's nat rules for the default injection, kept as data in {@value #TEMPLATE} and loaded unmodified except for
 * the proxy uid and the family's loopback addresses, so the lab exercises the real rules rather than a lookalike.
 */
public final class IstioRules {

    static final String TEMPLATE = "istio-nat-redirect.rules";
    private static final String APPEND = "-A ";

    private IstioRules() {
    }

    /** The iptables-restore input for a family and proxy uid (pure; comment lines included, restore skips them). */
    public static String render(IpFamily family, int proxyUid) {
        return template()
                .replace("@PROXY_UID@", Integer.toString(proxyUid))
                .replace("@INBOUND_BIND@", family.inboundBindNetwork())
                .replace("@LOOPBACK@", family.loopback());
    }

    /** Replaces the nat table of a namespace with Istio's rules (iptables-restore flushes the table first). */
    static void load(String namespace, IpFamily family, int proxyUid) {
        CommandRunner.check("loading Istio's " + family.label() + " nat rules into " + namespace + " failed",
                List.of("ip", "netns", "exec", namespace, family.iptablesRestore()), render(family, proxyUid));
    }

    /**
     * Whether the namespace's nat table holds exactly the rules {@link #render} writes, in order: a flushed chain or
     * an added rule changes the data path the lab is there to show, so it does not count as loaded.
     */
    static boolean loaded(String namespace, IpFamily family, int proxyUid) {
        CommandRunner.Result rules = CommandRunner.run(List.of("ip", "netns", "exec", namespace, family.iptables(),
                "-t", "nat", "-S"));
        return rules.ok() && appended(rules.stdout()).equals(appended(render(family, proxyUid)));
    }

    /** The {@code -A} lines of iptables-save or {@code iptables -S} output, which both print alike. */
    static List<String> appended(String rules) {
        return rules.lines().map(String::strip).filter(line -> line.startsWith(APPEND)).toList();
    }

    /** The nat table with packet and byte counters, as {@code iptables -t nat -L -v -n -x} prints it. */
    static String counters(String namespace, IpFamily family) {
        CommandRunner.Result result = CommandRunner.run(List.of("ip", "netns", "exec", namespace, family.iptables(),
                "-t", "nat", "-L", "-v", "-n", "-x"));
        return result.ok() ? result.stdout() : result.reason();
    }

    private static String template() {
        try (InputStream in = IstioRules.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + TEMPLATE + " missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
