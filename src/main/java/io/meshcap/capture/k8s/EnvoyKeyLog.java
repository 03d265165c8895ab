package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import io.meshcap.istio.EnvoyConfigDump;
import io.meshcap.istio.KeyLogTargets;
import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One pod's sidecar logging its TLS keys for a capture (--decrypt): reads Envoy's configuration to find its Istio
 * mTLS sockets, applies an EnvoyFilter ({@link KeyLogFilterSpec}) that adds {@code key_log} to them, and says
 * "decrypting" only once Envoy's own config dump shows the key log there: Istio applies some transport socket
 * patches differently from what they say (istio/istio#45392), so nothing is assumed. When Istio rejects the
 * filter or never pushes it, the filter is removed and the capture goes on without decryption, saying so.
 * {@link #finish} reads the keys after the legs stopped, then removes the filter and the key file; the source's
 * clean-up calls it, so it runs on every way out (a stop, a failure, a timeout). While the legs run, a live stream
 * reads the key file as it grows ({@link #readNew}).
 */
final class EnvoyKeyLog implements KeyFeed {

    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofSeconds(1);
    /** How often a live stream reads the key file: one exec each time, as often as Envoy flushes the file. */
    private static final Duration LIVE_PERIOD = Duration.ofSeconds(1);
    private static final Duration LIVE_READ_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Envoy writes files through a buffer that Istio has it flush every second ({@code --file-flush-interval-msec
     * 1000}): keys of the last connections are in the file this long after their handshake.
     */
    static final Duration ENVOY_FLUSH = Duration.ofMillis(1200);
    private static final int FEW = 5;
    private static final String DECRYPT = "--decrypt";
    private static final String ALTERNATIVE = "or leave --decrypt out";
    private static final String WITHOUT = "; capturing without decryption";

    private final ClusterRun run;
    private final PodExec exec;
    private final PodInfo pod;
    private final ExecTarget proxy;
    private final String path;
    private final String name;
    private final String object;
    private boolean created;
    private Instant since;
    private KeyLog keys = KeyLog.empty();
    private boolean finished;
    /** Bytes of the key file a live stream has read; -1 once reading it failed for good. */
    private long liveOffset;

    EnvoyKeyLog(ClusterRun run, PodExec exec, PodInfo pod) {
        this.run = run;
        this.exec = exec;
        this.pod = pod;
        this.proxy = new ExecTarget(pod.namespace(), pod.name(), KeyLogFilterSpec.proxyContainer(pod), List.of());
        this.path = KeyLogFilterSpec.keyLogPath(run.settings().runId());
        this.name = KeyLogFilterSpec.name(run.settings().runId(), pod.name());
        this.object = "EnvoyFilter " + pod.namespace() + "/" + name;
    }

    /**
     * Refuses --decrypt for a pod whose sidecar cannot be made to log keys by itself: it has no Istio sidecar, or
     * no labels (an EnvoyFilter without labels to select would patch every workload of the namespace).
     */
    static void requireSidecar(PodInfo pod) {
        if (pod.proxy().isEmpty()) {
            throw MeshcapException.failure("pod " + pod.ref() + " has no Istio sidecar (istio-proxy), so there are no "
                    + "Envoy TLS keys to log; leave --decrypt out");
        }
        if (pod.labels().isEmpty()) {
            throw MeshcapException.failure("pod " + pod.ref() + " has no labels, so an EnvoyFilter cannot select its "
                    + "sidecar alone; label it (kubectl label pod -n " + pod.namespace() + " " + pod.name()
                    + " meshcap=target) or leave --decrypt out");
        }
    }

    /** Refuses --decrypt before anything is created when the API server denies what it needs. */
    static void requireAllowed(ClusterRun run, PodInfo pod) {
        run.access().require(List.of(Permission.envoyFilters("create", pod.namespace()),
                Permission.envoyFilters("delete", pod.namespace()), Permission.podExec(pod.namespace())),
                DECRYPT, "meshcap-decrypt", ALTERNATIVE);
    }

    /**
     * Makes the sidecar log its keys, waiting up to the run's decryption timeout for Envoy to show it. Every
     * outcome is said; only a stop request (or an API server that does not answer) is raised.
     *
     * @return when the key log was seen in Envoy's configuration; empty when the capture goes on without keys
     */
    synchronized Optional<Instant> start() {
        Optional<KeyLogTargets> targets = targets();
        if (targets.isEmpty() || !create(KeyLogFilterSpec.build(pod, run.settings().runId(), targets.get()),
                targets.get())) {
            return Optional.empty();
        }
        return awaitKeyLog(targets.get());
    }

    /**
     * For --print-plan: what {@link #start} would apply, and the checks made on the way, as lines to print; nothing
     * is applied. Envoy's configuration is read to find the sockets (the capture helper is set up for the plan anyway,
     * and reading changes nothing); the permissions were checked when the source opened.
     */
    List<String> plan() {
        List<String> lines = new ArrayList<>();
        lines.add("decrypt: (--print-plan applies nothing)");
        lines.add("  checked:  you may create and delete envoyfilters." + KeyLogFilterSpec.ENVOY_FILTER.getGroup()
                + " and exec into pods in namespace " + pod.namespace() + " (SelfSubjectAccessReview)");
        Optional<KeyLogTargets> found = targets();
        if (found.isEmpty()) {
            lines.add("  would not decrypt (see above): the capture would go on without keys");
            return lines;
        }
        KeyLogTargets targets = found.get();
        lines.add("  checked:  Envoy's configuration (pilot-agent request GET config_dump in container "
                + proxy.container() + ") has " + count(targets.inbound().size(), "inbound mTLS filter chain") + " and "
                + count(targets.clusters().size(), "outbound mTLS cluster") + "; cat runs there (to read the keys back)");
        GenericKubernetesResource filter = KeyLogFilterSpec.build(pod, run.settings().runId(), targets);
        lines.add("  applies:  " + object + " (" + filter.getApiVersion() + "), labels "
                + labels(filter.getMetadata().getLabels()));
        lines.add("  selects:  the pods labelled " + labels(pod.labels()) + " (workloadSelector); the key log's"
                + " local_address_range " + String.join(", ", pod.ips().stream().map(KeyLogFilterSpec::cidr).toList())
                + " keeps other replicas' keys out");
        lines.add("  key log:  " + path + " in container " + proxy.container() + " (in the pod's memory), read while"
                + " and after capturing, then removed");
        lines.add("  patches:  " + firstFew(targets.describe()));
        lines.add("  waits:    until Envoy's configuration shows the key log on all " + count(targets.size(), "socket")
                + ", at most " + run.settings().decryption().orElseThrow().toSeconds() + " s (--decrypt-timeout)");
        lines.add("  removes:  " + object + " and the key log when the capture ends, however it ends");
        return lines;
    }

    private static String labels(Map<String, String> labels) {
        return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    /**
     * The sockets to patch: the Istio mTLS sockets in Envoy's configuration, those the API server can store in one
     * filter; empty (said) when there are none, or the key log could not be read back from istio-proxy.
     */
    private Optional<KeyLogTargets> targets() {
        Optional<EnvoyConfigDump> before = configDump();
        if (before.isEmpty()) {
            return Optional.empty();
        }
        KeyLogTargets found = before.get().keyLogTargets();
        found.leftOut().forEach(socket -> say("warning", "cannot decrypt " + socket));
        KeyLogTargets targets = fitting(found);
        if (targets.isEmpty()) {
            say("warning", "not decrypting: Envoy has no Istio mTLS filter chain or cluster to log keys for"
                    + " (mTLS disabled, or not a sidecar)" + WITHOUT);
            return Optional.empty();
        }
        CommandResult cat = exec.run(proxy, ProxyArgv.read("/dev/null"), EXEC_TIMEOUT);
        if (!cat.ok()) {
            say("warning", "not decrypting: the key log could not be read back from container " + proxy.container()
                    + " (" + (cat.executableMissing() ? "its image has no cat, as distroless images have none"
                    : "cat exited " + cat.exitCode() + ": " + cat.diagnostic()) + ")" + WITHOUT);
            return Optional.empty();
        }
        return Optional.of(targets);
    }

    /**
     * The targets whose filter the API server can store: all of them, or the inbound chains alone when a patch per
     * outbound cluster would make it too big (a sidecar that knows every service of a large mesh), said.
     */
    private KeyLogTargets fitting(KeyLogTargets targets) {
        int bytes = run.client().getKubernetesSerialization().asJson(KeyLogFilterSpec.build(pod,
                run.settings().runId(), targets)).getBytes(StandardCharsets.UTF_8).length;
        if (bytes <= KeyLogFilterSpec.MAX_BYTES) {
            return targets;
        }
        say("warning", "cannot decrypt the outbound mTLS leg: the sidecar knows " + count(targets.clusters().size(),
                "outbound mTLS cluster") + ", and a patch for each would make " + object + " "
                + String.format(Locale.ROOT, "%.1f MB", bytes / 1e6) + ", more than the API server keeps in one"
                + " object; an Istio Sidecar resource whose egress lists only the hosts this workload calls makes it"
                + " small enough");
        return targets.withoutClusters();
    }

    /** Envoy's configuration now, or empty (said) when pilot-agent cannot give it. */
    private Optional<EnvoyConfigDump> configDump() {
        CommandResult dump = exec.run(proxy, ProxyArgv.configDump(), EXEC_TIMEOUT);
        if (!dump.ok()) {
            say("warning", "not decrypting: Envoy's configuration could not be read in container " + proxy.container()
                    + " ('pilot-agent request GET config_dump' exited " + dump.exitCode() + ": " + dump.diagnostic()
                    + ")" + WITHOUT);
            return Optional.empty();
        }
        try {
            return Optional.of(EnvoyConfigDump.parse(dump.stdout()));
        } catch (IllegalArgumentException e) {
            say("warning", "not decrypting: pilot-agent's config dump is not Envoy's (" + e.getMessage() + ")"
                    + WITHOUT);
            return Optional.empty();
        }
    }

    private boolean create(GenericKubernetesResource filter, KeyLogTargets targets) {
        say("note", "applying " + object + ": Envoy logs TLS keys of " + count(targets.inbound().size(),
                "inbound mTLS filter chain") + " and " + count(targets.clusters().size(), "outbound mTLS cluster")
                + " into " + path + " in container " + proxy.container() + " (in the pod's memory)");
        run.stop().checkNotStopped("applying " + object);
        run.footprint().add(object, pod.namespace());
        created = true;
        try {
            run.client().genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(pod.namespace())
                    .resource(filter).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() <= 0) {
                // It may have been created: clean-up deletes it by name.
                throw ApiFailures.explain(run.client(), e, "create " + object, "");
            }
            created = false;
            run.footprint().remove(object);
            String why = e.getCode() == ApiFailures.NOT_FOUND
                    ? "this cluster does not serve " + KeyLogFilterSpec.ENVOY_FILTER.getGroup() + "/"
                            + KeyLogFilterSpec.ENVOY_FILTER.getVersion() + " EnvoyFilter (is Istio installed?)"
                    : ApiFailures.explain(run.client(), e, "create " + object, "").getMessage()
                            + " (Istio's validating webhook checks every EnvoyFilter)";
            say("warning", "not decrypting: " + why + WITHOUT);
            return false;
        }
    }

    /**
     * Polls Envoy's config dump until every target shows the key log for the pod's addresses. A key log on a
     * socket that is not Istio mTLS means Istio applied a patch where it was not meant to go: the filter is
     * removed at once.
     */
    private Optional<Instant> awaitKeyLog(KeyLogTargets targets) {
        Instant applied = Instant.now();
        Instant deadline = applied.plus(run.settings().decryption().orElseThrow());
        Set<String> addresses = pod.ips().stream().map(KeyLogFilterSpec::cidr).collect(Collectors.toSet());
        List<String> missing = targets.describe();
        List<String> rejected = List.of();
        while (true) {
            Optional<EnvoyConfigDump> now = configDump();
            if (now.isEmpty()) {
                remove();
                return Optional.empty();
            }
            Map<String, EnvoyConfigDump.KeyLogged> logged = now.get().keyLogged(path);
            List<String> misplaced = logged.entrySet().stream().filter(e -> !e.getValue().istioMutualTls())
                    .map(Map.Entry::getKey).toList();
            if (!misplaced.isEmpty()) {
                remove();
                say("warning", "not decrypting: Istio put the key log on " + String.join(", ", misplaced)
                        + ", which is not Istio mTLS; removed " + object + " at once" + WITHOUT);
                return Optional.empty();
            }
            missing = targets.describe().stream().filter(socket -> !logged.containsKey(socket)
                    || !logged.get(socket).ranges().containsAll(addresses)).toList();
            rejected = now.get().rejectedUpdates();
            if (missing.isEmpty()) {
                since = Instant.now();
                say("", "decrypting: Envoy's configuration shows the key log on all " + count(targets.size(), "socket")
                        + " (after " + seconds(applied, since) + "); connections opened before now cannot be "
                        + "decrypted (pooled upstream connections can live long)");
                return Optional.of(since);
            }
            if (!Instant.now().isBefore(deadline)) {
                break;
            }
            try {
                run.stop().awaitStop(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw MeshcapException.failure("interrupted while waiting for Envoy to load " + object, e);
            }
            run.stop().checkNotStopped("waiting for Envoy to load " + object);
        }
        if (missing.size() < targets.size()) {
            since = Instant.now();
            say("warning", "decrypting only partly: after " + seconds(applied, since) + " Envoy's configuration shows"
                    + " the key log on " + (targets.size() - missing.size()) + " of " + count(targets.size(), "socket")
                    + "; not on " + firstFew(missing));
            return Optional.of(since);
        }
        remove();
        say("warning", "not decrypting: " + seconds(applied, Instant.now()) + " after " + object + " was applied,"
                + " Envoy's configuration still shows no key log"
                + (rejected.isEmpty() ? " (Istio rejected the filter or did not push it; see istioctl analyze -n "
                        + pod.namespace() + " and istioctl proxy-status)"
                        : "; Envoy rejected an update: " + String.join("; ", rejected))
                + "; removed it" + WITHOUT + " (--decrypt-timeout waits longer)");
        return Optional.empty();
    }

    /**
     * After the capture: reads the keys Envoy logged (once its file buffer has been flushed after
     * {@code legsStopped}), then removes the EnvoyFilter and the key file. Problems are said. Later calls change
     * nothing.
     */
    synchronized void finish(Instant legsStopped) {
        if (since != null && created) {
            keys = read(legsStopped);
        }
        finished = true;
        remove();
    }

    /**
     * For a live stream: the keys Envoy logged since the last call, read in istio-proxy from where the last read ended
     * ({@code tail -c +N}, so only new bytes cross the API), whole lines only. Once {@link #finish} has read the whole
     * file, those keys (the stream writes each line once). Nothing before key logging took effect, after a stop
     * request, or once tail failed to run (said once: the keys still go into the complete capture).
     */
    @Override
    public synchronized KeyLog readNew() {
        if (finished) {
            return keys;
        }
        if (since == null || !created || liveOffset < 0) {
            return KeyLog.empty();
        }
        CommandResult tail;
        try {
            tail = exec.run(proxy, ProxyArgv.readFrom(path, liveOffset), LIVE_READ_TIMEOUT);
        } catch (MeshcapException e) {
            // Stopping, or a slow API server: the next read, or the one at the end, gets these keys.
            return KeyLog.empty();
        }
        if (tail.executableMissing()) {
            liveOffset = -1;
            say("warning", "the live stream cannot read the key log while capturing: container " + proxy.container()
                    + " has no tail; its keys go into the capture file when it ends");
            return KeyLog.empty();
        }
        if (!tail.ok()) {
            // Envoy creates the file with the first key it logs.
            return KeyLog.empty();
        }
        String text = tail.stdout().substring(0, tail.stdout().lastIndexOf('\n') + 1);
        byte[] lines = text.getBytes(StandardCharsets.UTF_8);
        liveOffset += lines.length;
        return KeyLog.parse("key log of pod " + pod.ref(), lines);
    }

    @Override
    public Duration period() {
        return LIVE_PERIOD;
    }

    /** The keys {@link #finish} read; empty before, and when key logging never took effect. */
    synchronized KeyLog keys() {
        return keys;
    }

    /** When Envoy's configuration first showed the key log; empty when it never did. */
    synchronized Optional<Instant> since() {
        return Optional.ofNullable(since);
    }

    private KeyLog read(Instant legsStopped) {
        Duration wait = Duration.between(Instant.now(), legsStopped.plus(ENVOY_FLUSH));
        if (!wait.isNegative()) {
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            CommandResult file = exec.runWhileStopping(proxy, ProxyArgv.read(path), EXEC_TIMEOUT);
            if (!file.ok()) {
                say("warning", "could not read the key log " + path + " in container " + proxy.container() + " (cat"
                        + " exited " + file.exitCode() + ": " + file.diagnostic() + "); the capture holds no keys of "
                        + pod.ref());
                return KeyLog.empty();
            }
            // Malformed lines are reported with the file's other notes when the keys are written.
            return KeyLog.parse("key log of pod " + pod.ref(), file.stdout().getBytes(StandardCharsets.UTF_8));
        } catch (MeshcapException e) {
            say("warning", "could not read the key log " + path + ": " + e.getMessage());
            return KeyLog.empty();
        }
    }

    /**
     * Deletes the filter, then the key file it made Envoy write, unless that was done; each problem is said with the
     * fix.
     */
    private void remove() {
        if (!created) {
            return;
        }
        created = false;
        try {
            run.client().genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(pod.namespace())
                    .withName(name).delete();
            run.footprint().remove(object);
        } catch (KubernetesClientException e) {
            say("warning", "could not delete " + object + " (" + ApiFailures.explain(run.client(), e, "delete "
                    + object, "").getMessage() + "); Envoy logs TLS keys until it is gone: kubectl delete envoyfilter"
                    + " -n " + pod.namespace() + " " + name + " (or " + run.footprint().cleanupCommand(
                            run.settings().runId()) + ")");
        }
        try {
            CommandResult removed = exec.runWhileStopping(proxy, ProxyArgv.remove(path), EXEC_TIMEOUT);
            if (!removed.ok()) {
                say("warning", "could not remove the key log " + path + " in container " + proxy.container()
                        + " of pod " + pod.ref() + " (rm exited " + removed.exitCode() + ": " + removed.diagnostic()
                        + "); it goes with the pod");
            }
        } catch (MeshcapException e) {
            say("warning", "could not remove the key log " + path + " in pod " + pod.ref() + ": " + e.getMessage()
                    + "; it goes with the pod");
        }
    }

    private void say(String kind, String message) {
        run.notes().accept((kind.isEmpty() ? "" : kind + ": ") + "pod " + pod.ref() + ": " + message);
    }

    /** The first few of {@code sockets}, then how many more: a sidecar can have thousands. */
    private static String firstFew(List<String> sockets) {
        return sockets.size() <= FEW ? String.join(", ", sockets) : String.join(", ", sockets.subList(0, FEW))
                + " and " + (sockets.size() - FEW) + " more";
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    private static String seconds(Instant from, Instant to) {
        return String.format(Locale.ROOT, "%.1f s", Duration.between(from, to).toMillis() / 1000.0);
    }
}
