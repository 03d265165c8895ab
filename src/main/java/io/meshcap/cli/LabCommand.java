package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.lab.IpFamily;
import io.meshcap.lab.Lab;
import io.meshcap.lab.LabConfig;
import io.meshcap.lab.LabRole;
import io.meshcap.lab.LabStatus;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshcap lab}: a local network-namespace pod with Istio's sidecar rules, for trying captures and tests. */
@Command(
        name = "lab",
        header = "A local sidecar lab (root): a namespace pod with Istio's nat rules and a stand-in sidecar.",
        mixinStandardHelpOptions = true,
        description = {
            "A local sidecar lab (needs root): a network-namespace pod with Istio's nat rules, a stand-in sidecar",
            "running as the proxy uid on 15001/15006, an app server, and a mesh namespace with clients and upstreams."
        },
        footer = {
            "",
            "Examples:",
            "  sudo meshcap lab up",
            "  sudo meshcap lab traffic --inbound 3 --outbound 3 --json ledger.json",
            "  sudo meshcap lab status",
            "  sudo meshcap lab down"
        },
        subcommands = {
            LabCommand.Up.class,
            LabCommand.Down.class,
            LabCommand.Status.class,
            LabCommand.Traffic.class
        })
public final class LabCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return MeshcapException.Kind.USAGE.exitCode();
    }

    /** The lab name option every subcommand shares. */
    static final class NameOption {

        @Option(names = "--name", paramLabel = "NAME", defaultValue = LabConfig.DEFAULT_NAME,
                description = "Lab name; namespaces are NAME-pod and NAME-mesh (default: ${DEFAULT-VALUE}).")
        String name;
    }

    @Command(
            name = "up",
            mixinStandardHelpOptions = true,
            description = "Create the lab, or complete it: safe to run again.",
            footer = {
                "",
                "Examples:",
                "  sudo meshcap lab up",
                "  sudo meshcap lab up --name demo --app-ports 8080,9090 --ipv6",
                "  sudo meshcap lab up --proxy-uid 201507"
            })
    static final class Up implements Callable<Integer> {

        @Mixin
        NameOption lab;

        @Option(names = "--proxy-uid", paramLabel = "UID", defaultValue = "" + LabConfig.DEFAULT_PROXY_UID,
                description = "Uid of the stand-in sidecar, exempted by the rules (default: ${DEFAULT-VALUE}).")
        int proxyUid;

        @Option(names = "--app-ports", paramLabel = "PORT", split = ",", defaultValue = "8080,9080",
                description = "Ports of the app server in the pod and the upstreams in the mesh"
                        + " (default: ${DEFAULT-VALUE}).")
        List<Integer> appPorts;

        @Option(names = "--ipv6", description = "Also configure IPv6 (2001:2::/48) and Istio's ip6tables rules.")
        boolean ipv6;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Lab target = Lab.of(new LabConfig(lab.name, proxyUid, appPorts, ipv6));
            LabStatus status = target.up();
            PrintWriter out = spec.commandLine().getOut();
            out.println("lab " + lab.name + " is up");
            StatusPrinter.print(out, target.topology(), status, false);
            out.println("  TLS keys:   " + target.keyLog() + " (mode 0600; give it to capture or merge --tls-keylog to"
                    + " read the mTLS legs)");
            return 0;
        }
    }

    @Command(
            name = "down",
            mixinStandardHelpOptions = true,
            description = "Remove everything the lab made: processes, namespaces (and the veth), run directory.",
            footer = {"", "Example:", "  sudo meshcap lab down --name demo"})
    static final class Down implements Callable<Integer> {

        @Mixin
        NameOption lab;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Lab.named(lab.name).down();
            spec.commandLine().getOut().println("lab " + lab.name + " is down");
            return 0;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Show the lab's namespaces, addresses, processes and nat rule counters. Exit 1 when the lab"
                    + " is incomplete, 2 when there is no lab of that name.",
            footer = {"", "Example:", "  sudo meshcap lab status --name demo"})
    static final class Status implements Callable<Integer> {

        @Mixin
        NameOption lab;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Lab target = Lab.named(lab.name);
            LabStatus status = target.status();
            if (status.gone()) {
                throw MeshcapException.usage("there is no lab named " + lab.name + " (meshcap lab up --name " + lab.name
                        + " creates it)");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("lab " + lab.name + ": " + (status.up() ? "up" : "incomplete (run meshcap lab up --name "
                    + lab.name + " to complete it, or down to remove it)"));
            StatusPrinter.print(out, target.topology(), status, true);
            return status.up() ? 0 : MeshcapException.Kind.FAILURE.exitCode();
        }
    }

    @Command(
            name = "traffic",
            mixinStandardHelpOptions = true,
            description = {
                "Make HTTP calls through the lab and check them end to end. Inbound: mesh client to POD_IP:port in",
                "mTLS (redirected to 15006, forwarded in plaintext from 127.0.0.6). Outbound: app in the pod to the",
                "upstream in plaintext (redirected to 15001, sent on in mTLS). Counts are per address family.",
                "Writes a ledger of what every endpoint saw. Every TLS key goes to /run/meshcap/lab/NAME/tls-keys.log."
            },
            footer = {
                "",
                "Examples:",
                "  sudo meshcap lab traffic",
                "  sudo meshcap lab traffic --inbound 5 --outbound 0 --json /tmp/ledger.json",
                "  sudo meshcap lab traffic --inbound 2 --outbound 0 --plaintext-inbound   # a client without a sidecar"
            })
    static final class Traffic implements Callable<Integer> {

        @Mixin
        NameOption lab;

        @Option(names = "--inbound", paramLabel = "N", defaultValue = "2",
                description = "Inbound connections per family (default: ${DEFAULT-VALUE}).")
        int inbound;

        @Option(names = "--outbound", paramLabel = "N", defaultValue = "2",
                description = "Outbound connections per family (default: ${DEFAULT-VALUE}).")
        int outbound;

        @Option(names = "--plaintext-inbound", description = "Inbound calls without mTLS, as from a client without a"
                + " sidecar; the pod's sidecar takes them (PERMISSIVE, Istio's default), so the inbound-mtls leg"
                + " carries plaintext.")
        boolean plaintextInbound;

        @Option(names = "--json", paramLabel = "FILE", description = "Write the ledger as JSON to FILE.")
        Path json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (inbound == 0 && outbound == 0) {
                throw MeshcapException.usage("--inbound 0 --outbound 0 makes no connection; ask for at least one");
            }
            Ledger ledger = Lab.named(lab.name).traffic(inbound, outbound, plaintextInbound);
            PrintWriter out = spec.commandLine().getOut();
            for (LedgerEntry entry : ledger.connections()) {
                out.printf("%3d %-8s %-4s %s -> %s  %s saw %s -> %s  %d/%d bytes  %s%n", entry.id(),
                        entry.kind().name().toLowerCase(), entry.family(), entry.client(), entry.destination(),
                        entry.serverRole(), entry.serverPeer(), entry.serverLocal(), entry.requestBytes(),
                        entry.responseBytes(), !entry.verified() ? "MISMATCH" : entry.viaSidecar() ? "ok" : "BYPASSED THE SIDECAR");
            }
            if (json != null) {
                try {
                    ledger.write(json);
                } catch (IOException e) {
                    throw MeshcapException.failure("cannot write the ledger to " + json + ": " + e.getMessage(), e);
                }
                out.println("ledger written to " + json);
            }
            if (!ledger.allVerified()) {
                throw MeshcapException.failure("some connections did not carry their payload intact or bypassed the"
                        + " sidecar (see above; check the nat rules with: meshcap lab status --name " + lab.name
                        + "); the lab's logs are in /run/meshcap/lab/" + lab.name);
            }
            out.println(ledger.connections().size() + " connections, all through the sidecar, all payloads verified");
            return 0;
        }
    }

    /** Prints a status the same way for {@code up} and {@code status}. */
    static final class StatusPrinter {

        private StatusPrinter() {
        }

        static void print(PrintWriter out, LabTopology topology, LabStatus status, boolean counters) {
            out.println("  namespaces: " + topology.podNamespace() + (status.podNamespace() ? "" : " (missing)")
                    + ", " + topology.meshNamespace() + (status.meshNamespace() ? "" : " (missing)"));
            if (status.config() != null) {
                out.println("  settings:   proxy uid " + status.config().proxyUid() + ", app ports "
                        + status.config().appPorts() + (status.config().ipv6() ? ", IPv6 on" : ", IPv4 only"));
            }
            for (LabRole role : LabRole.values()) {
                Long pid = status.processes().get(role);
                out.println("  " + String.format("%-11s", role.id() + ":") + (pid == null ? "not running"
                        : "pid " + pid));
            }
            status.rulesLoaded().forEach((family, loaded) -> out.println("  " + String.format("%-11s",
                    family.label() + ":") + (loaded ? "Istio nat rules loaded" : "Istio nat rules MISSING or changed (meshcap lab up reloads them)")));
            if (!status.podAddresses().isBlank()) {
                out.println("  pod addresses (" + topology.podNamespace() + "):");
                status.podAddresses().lines().forEach(line -> out.println("    " + line));
            }
            if (!status.meshAddresses().isBlank()) {
                out.println("  mesh addresses (" + topology.meshNamespace() + "):");
                status.meshAddresses().lines().forEach(line -> out.println("    " + line));
            }
            if (counters) {
                for (IpFamily family : status.natCounters().keySet()) {
                    out.println("  " + family.label() + " nat table of " + topology.podNamespace() + ":");
                    status.natCounters().get(family).lines().forEach(line -> out.println("    " + line));
                }
            }
        }
    }
}
