package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import io.meshcap.istio.InterceptionFacts;
import io.meshcap.istio.RuleDumpReader;
import io.meshcap.istio.SsParser;
import io.meshcap.plan.PortRange;
import io.meshcap.plan.TargetFacts;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What was read inside the pod's network namespace: the output of each {@link CaptureArgv#facts()} command,
 * or why it failed; and what that means for the capture ({@link #targetFacts}).
 *
 * @param outputs name → text, in the order run (a failed command's text says "exit N: stderr")
 * @param failed  the names of the commands that failed, whose text is the failure, not output
 */
public record PodFacts(Map<String, String> outputs, Set<String> failed) {

    static final String PORT_RANGE = "ip_local_port_range";
    static final String IPTABLES_SAVE = "iptables-save";
    static final String IP6TABLES_SAVE = "ip6tables-save";
    static final String IPTABLES_LEGACY_SAVE = "iptables-legacy-save";
    static final String IPTABLES_NFT_SAVE = "iptables-nft-save";
    static final String NFT_RULESET = "nft-ruleset";
    static final String LISTENING_SOCKETS = "listening-sockets";

    public PodFacts {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        failed = Collections.unmodifiableSet(new LinkedHashSet<>(failed));
    }

    /** Outputs of commands that all succeeded. */
    public PodFacts(Map<String, String> outputs) {
        this(outputs, Set.of());
    }

    /** The pod's ephemeral port range, if it could be read ({@code 32768\t60999}). */
    public Optional<PortRange> ephemeralRange() {
        try {
            return Optional.of(PortRange.parse(output(PORT_RANGE).orElse("")));
        } catch (MeshcapException e) {
            return Optional.empty();
        }
    }

    /** The output of a command that succeeded, or empty when it failed or was not run. */
    public Optional<String> output(String name) {
        return failed.contains(name) ? Optional.empty() : Optional.ofNullable(outputs.get(name));
    }

    /**
     * The pod's rules as one dump for {@code RuleDumpReader}, or empty when no rule command succeeded. Each back
     * end is read once: both split tools when both ran and printed tables (plain iptables-save is one of them
     * again), else iptables-save; then ip6tables-save and nft's ruleset.
     */
    public Optional<String> ruleDump() {
        boolean split = output(IPTABLES_LEGACY_SAVE).isPresent() && output(IPTABLES_NFT_SAVE).isPresent()
                && RuleDumpReader.holdsRules(output(IPTABLES_LEGACY_SAVE).get() + output(IPTABLES_NFT_SAVE).get());
        List<String> names = split
                ? List.of(IPTABLES_LEGACY_SAVE, IPTABLES_NFT_SAVE, IP6TABLES_SAVE, NFT_RULESET)
                : List.of(IPTABLES_SAVE, IP6TABLES_SAVE, NFT_RULESET);
        List<String> outputs = names.stream().map(this::output).flatMap(Optional::stream).toList();
        return outputs.isEmpty() ? Optional.empty() : Optional.of(RuleDumpReader.concatenate(outputs));
    }

    /** What could not be collected of the pod's rules, one line per rule command that failed. */
    public List<String> ruleCollectionNotes(PodInfo pod) {
        List<String> notes = new ArrayList<>();
        for (String name : List.of(IPTABLES_SAVE, IP6TABLES_SAVE, IPTABLES_LEGACY_SAVE, IPTABLES_NFT_SAVE, NFT_RULESET)) {
            if (failed.contains(name)) {
                notes.add(name + " in " + pod.ref() + ": " + outputs.get(name).strip());
            }
        }
        return notes;
    }

    /**
     * The output of {@code ss -Htlnupe} in the pod.
     *
     * @throws MeshcapException if ss failed there (its error and the fix in the message)
     */
    public String listeningSockets(PodInfo pod) {
        return output(LISTENING_SOCKETS).orElseThrow(() -> MeshcapException.failure("cannot list the listening sockets"
                + " in pod " + pod.ref() + ": " + String.join(" ", SsParser.LISTENING_SOCKETS) + ": "
                + outputs.getOrDefault(LISTENING_SOCKETS, "not run").strip()
                + "; use a --image with ss (iproute2), or --strategy ephemeral or node"));
    }

    /** What the pod's rules say (the same reading as for a local namespace), with what was assumed. */
    public InterceptionFacts interception(PodInfo pod, OptionalLong givenUid) {
        InterceptionFacts rules = interception(pod, givenUid, List.of());
        if (!rules.ruleUids().isEmpty() || givenUid.isPresent() || pod.proxy().isEmpty()
                || pod.proxy().get().uidAssumed()) {
            return rules;
        }
        // The rules name no uid (none read, or a mark-based mode): the proxy's runAsUser is the next best thing.
        long apiUid = pod.proxy().get().uid();
        return interception(pod, OptionalLong.of(apiUid),
                List.of("taking the istio-proxy container's runAsUser " + apiUid + " for the proxy's sockets"));
    }

    private InterceptionFacts interception(PodInfo pod, OptionalLong uid, List<String> extraNotes) {
        String where = pod.ref().toString();
        InterceptionFacts rules = ruleDump()
                .map(dump -> InterceptionFacts.read(dump, where, uid))
                .orElseGet(() -> InterceptionFacts.unreadable("no iptables-save, iptables-legacy-save, "
                        + "iptables-nft-save or nft ran in " + where + " (their errors are in the metadata bundle)", uid));
        List<String> notes = new ArrayList<>(rules.notes());
        notes.addAll(extraNotes);
        return new InterceptionFacts(rules.model(), rules.ruleUids(), rules.outboundPort(), rules.inboundPort(),
                rules.proxyUids(), notes);
    }

    /**
     * The facts the pod's filters and re-association are built from: its addresses (API), its application ports
     * (the API's container ports, else what listens in the pod outside the proxy's uids), its port range, and the
     * proxy's uids and redirect ports from its rules.
     */
    public TargetFacts targetFacts(PodInfo pod, OptionalLong givenUid) {
        InterceptionFacts rules = interception(pod, givenUid);
        List<String> notes = new ArrayList<>();
        pod.assumptions().stream()
                .filter(a -> rules.ruleUids().isEmpty() || !a.startsWith(PodDiscovery.NO_RUN_AS_USER))
                .forEach(notes::add);
        notes.addAll(rules.notes());
        List<Integer> ports = pod.appPorts();
        if (ports.isEmpty()) {
            Optional<String> sockets = output(LISTENING_SOCKETS);
            ports = sockets.map(text -> rules.applicationPorts(SsParser.parse(text).sockets())).orElse(List.of());
            notes.add(sockets.isEmpty() ? "the pod's containers declare no TCP port and ss failed in the pod; give --port"
                    : ports.isEmpty() ? "the pod's containers declare no TCP port and nothing listens outside the proxy"
                            + " uid " + rules.proxyUidList() + "; give --port for the inbound legs"
                    : "the pod's containers declare no TCP port; application ports from what listens in the pod"
                            + " outside the proxy uid " + rules.proxyUidList());
        }
        Optional<PortRange> range = ephemeralRange();
        if (range.isEmpty()) {
            notes.add("cannot read /proc/sys/net/ipv4/ip_local_port_range in " + pod.ref());
        }
        return new TargetFacts(pod.ref().toString(), pod.ips(), ports, range.orElse(null), notes, rules.ruleUids(),
                rules.outboundPort(), rules.inboundPort());
    }
}
