package io.meshcap.lab;

import io.meshcap.sys.Host;
import io.meshcap.MeshcapException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A local sidecar lab: the facade the CLI, tests and {@code meshcap demo} use. {@link #up()} builds the pod and
 * mesh namespaces, loads Istio's rules and starts the background processes, and returns once they all serve;
 * {@link #down()} removes all of it; both are safe to repeat. Needs root.
 *
 * <pre>{@code
 * Lab lab = Lab.of(LabConfig.defaults().withName("mctest-1"));
 * lab.up();
 * Ledger ledger = lab.traffic(2, 2);
 * lab.down();
 * }</pre>
 */
public final class Lab {

    private static final String ROOT_NEEDED =
            "the lab needs root (it creates network namespaces and loads iptables rules)";

    /** What bringing a lab up runs (its IPv6 side also runs {@link #IPV6_TOOLS}). */
    public static final List<String> TOOLS = List.of("ip", "iptables", "iptables-restore", "setpriv", "setsid");
    private static final List<String> IPV6_TOOLS = List.of("ip6tables", "ip6tables-restore");
    private static final String NEED = "the lab";

    private final LabConfig config;
    private final LabTopology topology;
    private final RunDirectory run;

    private Lab(LabConfig config) {
        this.config = config;
        this.topology = LabTopology.of(config);
        this.run = RunDirectory.of(config.name());
    }

    /** A lab with this config (nothing happens until {@link #up()}). */
    public static Lab of(LabConfig config) {
        return new Lab(config);
    }

    /** The lab of that name with the config it was brought up with, or the default config when it is not up. */
    public static Lab named(String name) {
        LabConfig fallback = LabConfig.defaults().withName(name);
        return new Lab(RunDirectory.of(name).readConfig().orElse(fallback));
    }

    public LabConfig config() {
        return config;
    }

    public LabTopology topology() {
        return topology;
    }

    /**
     * Brings the lab to its full state and returns once every process serves. Idempotent: what exists is kept.
     * Fails when a lab of the same name is up with a different config.
     */
    public LabStatus up() {
        checkHost();
        Optional<LabConfig> existing = run.readConfig();
        if (existing.isPresent() && !existing.get().equals(config)) {
            throw MeshcapException.failure("lab " + config.name() + " is already up with different settings ("
                    + describe(existing.get()) + "): run meshcap lab down --name " + config.name() + " first");
        }
        run.create();
        run.writeConfig(config);
        run.createTls(config.proxyUid());
        try {
            Namespaces.ensure(topology);
            for (IpFamily family : topology.families()) {
                // Loaded once: reloading would zero the counters that status shows and tests may read.
                if (!IstioRules.loaded(topology.podNamespace(), family, config.proxyUid())) {
                    IstioRules.load(topology.podNamespace(), family, config.proxyUid());
                }
            }
            LabProcesses.ensure(config, run);
        } catch (MeshcapException e) {
            throw MeshcapException.failure(e.getMessage() + " (lab " + config.name() + " is partly up: meshcap lab"
                    + " down --name " + config.name() + " removes it)", e);
        }
        return status();
    }

    /** Stops the processes, deletes both namespaces (and with them the veth) and the run directory. Idempotent. */
    public void down() {
        Host.requireRoot(ROOT_NEEDED);
        Host.requireTools(NEED, List.of("ip"));
        LabProcesses.stopAll(run, config.name(), topology);
        Namespaces.delete(topology.podNamespace());
        Namespaces.delete(topology.meshNamespace());
        run.delete();
    }

    /**
     * The NSS key log the lab's TLS endpoints append their secrets to (mode 0600): give it to {@code meshcap merge
     * --tls-keylog} or {@code capture --tls-keylog} to decrypt the pod's mTLS legs.
     */
    public Path keyLog() {
        return run.keyLog();
    }

    public LabStatus status() {
        Host.requireRoot(ROOT_NEEDED);
        Host.requireTools(NEED, List.of("ip"));
        List<String> namespaces = Namespaces.existing();
        boolean pod = namespaces.contains(topology.podNamespace());
        boolean mesh = namespaces.contains(topology.meshNamespace());
        Map<LabRole, Long> processes = new EnumMap<>(LabRole.class);
        for (LabRole role : LabRole.values()) {
            LabProcesses.running(run, config.name(), role).ifPresent(pid -> processes.put(role, pid));
        }
        Map<IpFamily, Boolean> rules = new EnumMap<>(IpFamily.class);
        Map<IpFamily, String> counters = new EnumMap<>(IpFamily.class);
        if (pod) {
            for (IpFamily family : topology.families()) {
                rules.put(family, IstioRules.loaded(topology.podNamespace(), family, config.proxyUid()));
                counters.put(family, IstioRules.counters(topology.podNamespace(), family));
            }
        }
        return new LabStatus(config.name(), run.readConfig().orElse(null), pod, mesh, processes, rules,
                pod ? Namespaces.addresses(topology.podNamespace()) : "",
                mesh ? Namespaces.addresses(topology.meshNamespace()) : "", counters);
    }

    /**
     * Makes {@code inbound} calls from the mesh to the pod's app (in mTLS) and {@code outbound} calls from the pod to
     * the upstream servers, per address family, one at a time, and returns what every endpoint saw. Fails when the
     * lab is not up; a payload mismatch is recorded as an unverified entry rather than thrown.
     */
    public Ledger traffic(int inbound, int outbound) {
        return traffic(inbound, outbound, false);
    }

    /**
     * Like {@link #traffic(int, int)}; with {@code plaintextInbound} the mesh's clients call without mTLS, as clients
     * without a sidecar do, and the pod's sidecar takes them as Istio's default PERMISSIVE mode does: the
     * {@code inbound-mtls} leg then carries plaintext.
     */
    public Ledger traffic(int inbound, int outbound, boolean plaintextInbound) {
        if (inbound < 0 || outbound < 0) {
            throw MeshcapException.usage("connection counts must not be negative");
        }
        LabStatus status = status();
        if (!status.up()) {
            throw MeshcapException.failure("lab " + config.name() + " is not up: run meshcap lab up --name "
                    + config.name() + " (meshcap lab status --name " + config.name() + " shows what is missing)");
        }
        return new TrafficGenerator(config, run).run(inbound, outbound, plaintextInbound);
    }

    static String describe(LabConfig config) {
        return "proxy uid " + config.proxyUid() + ", app ports " + config.appPorts()
                + (config.ipv6() ? ", IPv6" : ", IPv4 only");
    }

    private void checkHost() {
        Host.requireRoot(ROOT_NEEDED);
        Host.requireTools(NEED, config.ipv6() ? Stream.concat(TOOLS.stream(), IPV6_TOOLS.stream()).toList() : TOOLS);
    }
}
