package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegStops;
import io.meshcap.capture.StopSignal;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.CommandRunner;
import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Captures legs of one pod through the Kubernetes API. {@link #open} picks and sets up a strategy
 * ({@link Strategy#AUTO} tries {@link Strategy#autoOrder()} and says why each one before the winner did not
 * work); each {@link #start} runs the leg's tcpdump via exec and copies its pcap stream to the sink.
 * {@link #close()} stops every leg's tcpdump and removes what set-up created; it runs exactly once. Ctrl-C
 * reaches it through the run's {@link io.meshcap.capture.StopSignal}: set-up gives up, a capture stops, and the
 * caller's try-with-resources closes the source while the client is still open.
 */
public final class KubernetesCaptureSource implements CaptureSource {

    private static final Duration FACT_TIMEOUT = Duration.ofSeconds(30);
    // How long close() lets the legs stop (all at once) before it removes their helper regardless.
    private static final Duration LEG_STOP_WAIT = Duration.ofSeconds(30);

    private final PodInfo pod;
    private final ContainerInfo container;
    private final PodExec exec;
    private final CaptureLauncher launcher;
    private final List<String> attempts;
    private final Consumer<String> notes;
    private final String runId;
    private final StopSignal stop;
    private final List<PodLegCapture> legs = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ClusterRun run;
    private PodFacts facts;
    private volatile EnvoyKeyLog keyLog;

    private KubernetesCaptureSource(ClusterRun run, PodInfo pod, ContainerInfo container, PodExec exec,
            CaptureLauncher launcher, List<String> attempts) {
        this.run = run;
        this.pod = pod;
        this.container = container;
        this.exec = exec;
        this.launcher = launcher;
        this.attempts = List.copyOf(attempts);
        this.notes = run.notes();
        this.runId = run.settings().runId();
        this.stop = run.stop();
    }

    /**
     * Sets up captures in {@code pod}. The client stays the run's: close it after the source.
     *
     * @param container which container to capture from (kubectl's -c); default the proxy, else the first
     * @throws MeshcapException if the pod is not running, the container does not exist, no strategy works (the
     *                          message lists each strategy's reason and fix), --decrypt is not allowed, or a stop
     *                          was requested
     */
    public static KubernetesCaptureSource open(ClusterRun run, PodInfo pod, Optional<String> container) {
        if (!pod.running()) {
            throw MeshcapException.failure("pod " + pod.ref() + " is " + pod.phase() + ", not Running; captures need "
                    + "a running pod (kubectl get pod -n " + pod.namespace() + " " + pod.name() + ")");
        }
        ContainerInfo target = pod.container(container);
        if (run.settings().decryption().isPresent()) {
            EnvoyKeyLog.requireSidecar(pod);
            EnvoyKeyLog.requireAllowed(run, pod);
        }
        PodExec exec = new PodExec(run.client(), run.stop());
        Strategy chosen = run.settings().strategy();
        List<Strategy> order = chosen == Strategy.AUTO ? Strategy.autoOrder() : List.of(chosen);
        List<String> attempts = new ArrayList<>();
        for (Strategy strategy : order) {
            CaptureLauncher launcher = launcher(strategy, run, exec, pod, target);
            KubernetesCaptureSource source = new KubernetesCaptureSource(run, pod, target, exec, launcher, attempts);
            try {
                launcher.setUp();
                return source;
            } catch (MeshcapException e) {
                source.close();
                if (order.size() == 1 || run.stop().stopRequested()) {
                    throw e;
                }
                String attempt = strategy.flagValue() + ": " + e.getMessage();
                attempts.add(attempt);
                run.notes().accept("note: strategy " + attempt);
            } catch (RuntimeException e) {
                source.close();
                throw e;
            }
        }
        throw MeshcapException.failure("no capture strategy works for pod " + pod.ref() + ":\n  "
                + String.join("\n  ", attempts));
    }

    private static CaptureLauncher launcher(Strategy strategy, ClusterRun run, PodExec exec, PodInfo pod,
            ContainerInfo container) {
        return switch (strategy) {
            case EXEC -> new ExecLauncher(run, exec, pod, container);
            case EPHEMERAL -> new EphemeralContainerLauncher(run, exec, pod, container);
            case NODE -> new NodePodLauncher(run, exec, pod, container);
            case AUTO -> throw new IllegalArgumentException("auto is not a launcher");
        };
    }

    /** The strategy that was set up. */
    public Strategy strategy() {
        return launcher.strategy();
    }

    /** The strategies tried before this one and why each did not work, as {@code name: reason}. */
    public List<String> attempts() {
        return attempts;
    }

    /** The run ID that names and labels what this source created ({@code meshcap cleanup --run}). */
    public String runId() {
        return runId;
    }

    public PodInfo pod() {
        return pod;
    }

    /** The exact exec {@link #start} sends for {@code leg}, as {@code exec in ns/pod (container c): argv}. */
    public String describeCapture(LegPlan leg) {
        ExecTarget target = launcher.target();
        return "exec in " + target.describe() + ": " + CommandRunner.display(target.argv(CaptureArgv.capture(leg)));
    }

    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) {
        if (closed.get()) {
            throw new IllegalStateException("source for pod " + pod.ref() + " is closed");
        }
        ExecTarget target = launcher.target();
        RemoteProcess process = exec.start(target, CaptureArgv.capture(leg), sink);
        PodLegCapture capture = new PodLegCapture(exec, target, process, leg.label());
        legs.add(capture);
        return capture;
    }

    /**
     * With --decrypt: makes the pod's sidecar log its TLS keys ({@link EnvoyKeyLog}) before the legs start; what
     * came of it is said. The keys are read, and what this did is undone, when the source closes.
     *
     * @return when key logging took effect; empty when the capture goes on without keys
     * @throws MeshcapException if a stop was requested meanwhile
     */
    public Optional<Instant> startKeyLogging() {
        if (closed.get()) {
            throw new IllegalStateException("source for pod " + pod.ref() + " is closed");
        }
        EnvoyKeyLog starting = new EnvoyKeyLog(run, exec, pod);
        keyLog = starting;
        return starting.start();
    }

    /**
     * With --decrypt and --print-plan: what making the pod's sidecar log its TLS keys would apply, and the checks made,
     * as lines to print; nothing is applied.
     */
    public List<String> planKeyLogging() {
        return new EnvoyKeyLog(run, exec, pod).plan();
    }

    /** When the pod's sidecar began logging TLS keys for this capture; empty when it did not. */
    public Optional<Instant> keyLoggingSince() {
        EnvoyKeyLog current = keyLog;
        return current == null ? Optional.empty() : current.since();
    }

    /**
     * With --decrypt: the TLS keys the pod's sidecar logged, read from istio-proxy when the source closed (after its
     * legs stopped). Empty before, and when key logging never took effect.
     */
    @Override
    public KeyLog loggedKeys() {
        EnvoyKeyLog current = keyLog;
        return current == null ? KeyLog.empty() : current.keys();
    }

    /**
     * With --decrypt, once key logging took effect: the sidecar's key file, read while the legs run (for the live
     * stream) from where the last read ended, and after the source closed the keys read then.
     */
    @Override
    public List<KeyFeed> keyFeeds() {
        EnvoyKeyLog current = keyLog;
        return current == null || current.since().isEmpty() ? List.of() : List.of(current);
    }

    /**
     * Reads the interception rules, port range, sockets, addresses and routes inside the pod's network
     * namespace (the commands of {@link CaptureArgv#facts()}); collected once, then returned as is. A command
     * that fails is recorded with its exit code and stderr, since images and Istio modes differ.
     */
    public synchronized PodFacts facts() {
        if (facts == null) {
            Map<String, String> outputs = new LinkedHashMap<>();
            Set<String> failed = new LinkedHashSet<>();
            CaptureArgv.facts().forEach((name, argv) -> {
                try {
                    CommandResult result = exec.run(launcher.target(), argv, FACT_TIMEOUT);
                    outputs.put(name, result.ok() ? result.stdout()
                            : "exit " + result.exitCode() + ": " + result.diagnostic());
                    if (!result.ok()) {
                        failed.add(name);
                    }
                } catch (MeshcapException e) {
                    // Stopped half-way: nothing partial is kept.
                    stop.checkNotStopped("reading the rules and sockets of pod " + pod.ref());
                    outputs.put(name, "failed: " + e.getMessage());
                    failed.add(name);
                }
            });
            facts = new PodFacts(outputs, failed);
        }
        return facts;
    }

    /**
     * The metadata bundle to write next to the capture, file name → text: the in-pod facts (collected now if
     * they were not yet), {@code pod.txt} (what the API said, the strategy and the assumptions) and
     * {@code commands.txt} (every command meshcap ran in the cluster for this pod, exactly). The engine adds
     * what is not Kubernetes' (meshcap's version, the merged file's name).
     */
    public Map<String, String> bundle() {
        Map<String, String> files = new LinkedHashMap<>();
        facts().outputs().forEach((name, text) -> files.put(name + ".txt", text));
        files.put("pod.txt", describe());
        files.put("commands.txt", String.join("\n", exec.commandLog()) + "\n");
        return files;
    }

    private String describe() {
        StringBuilder text = new StringBuilder();
        pod.metadata().forEach((key, value) -> text.append(key).append(": ").append(value).append('\n'));
        text.append("phase: ").append(pod.phase()).append('\n');
        text.append("container: ").append(container.name()).append(" (").append(container.image()).append(")\n");
        pod.proxy().ifPresent(p -> text.append("proxy: ").append(p.container()).append(" (").append(p.image())
                .append(p.privileged() ? ", privileged" : "").append(")\n"));
        text.append("app-ports: ").append(pod.appPorts().stream().map(String::valueOf).collect(Collectors.joining(",")))
                .append('\n');
        pod.istioAnnotations().forEach((key, value) -> text.append("annotation ").append(key).append(": ")
                .append(value).append('\n'));
        text.append("strategy: ").append(strategy().flagValue()).append('\n');
        keyLoggingSince().ifPresent(since -> text.append("key-log: ").append(KeyLogFilterSpec.keyLogPath(runId))
                .append(" in container ").append(KeyLogFilterSpec.proxyContainer(pod)).append(", logging since ")
                .append(since).append(" (EnvoyFilter ").append(KeyLogFilterSpec.name(runId, pod.name()))
                .append(", removed when the capture ended)\n"));
        text.append("run: ").append(runId).append(" (meshcap cleanup --run ").append(runId).append(")\n");
        attempts.forEach(a -> text.append("strategy not used: ").append(a).append('\n'));
        pod.assumptions().forEach(a -> text.append("assumed: ").append(a).append('\n'));
        return text.toString();
    }

    /**
     * Stops every leg's tcpdump (all at once); with --decrypt reads the TLS keys the sidecar logged and removes its
     * key logging (the EnvoyFilter and the key file), whatever ended the capture; then undoes set-up. Runs once;
     * later calls return at once. Clean-up problems go to the notes, with what to remove by hand.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<PodLegCapture> running;
        synchronized (legs) {
            running = List.copyOf(legs);
        }
        try {
            LegStops.stopAll(running, LEG_STOP_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Instant legsStopped = Instant.now();
        EnvoyKeyLog logging = keyLog;
        try {
            if (logging != null) {
                logging.finish(legsStopped);
            }
        } finally {
            cleanUpLauncher();
        }
    }

    private void cleanUpLauncher() {
        String problem = launcher.cleanUp();
        if (problem != null) {
            notes.accept("warning: " + problem);
        }
    }
}
