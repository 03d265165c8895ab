package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.sys.CommandRunner;
import java.io.OutputStream;
import java.time.Duration;
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
 * {@link #close()} stops every leg's tcpdump and removes what set-up created; it runs exactly once, from the
 * caller's try-with-resources or, if the JVM is ended first (Ctrl-C), from a shutdown hook.
 */
public final class KubernetesCaptureSource implements CaptureSource {

    private static final Duration FACT_TIMEOUT = Duration.ofSeconds(30);
    // How long close() lets stopped legs finish before it removes their helper regardless.
    private static final Duration LEG_STOP_WAIT = Duration.ofSeconds(10);

    private final PodInfo pod;
    private final ContainerInfo container;
    private final PodExec exec;
    private final CaptureLauncher launcher;
    private final List<String> attempts;
    private final Consumer<String> notes;
    private final String runId;
    private final List<PodLegCapture> legs = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;
    private PodFacts facts;

    private KubernetesCaptureSource(PodInfo pod, ContainerInfo container, PodExec exec, CaptureLauncher launcher,
            List<String> attempts, Consumer<String> notes, String runId) {
        this.pod = pod;
        this.container = container;
        this.exec = exec;
        this.launcher = launcher;
        this.attempts = List.copyOf(attempts);
        this.notes = notes;
        this.runId = runId;
        this.shutdownHook = new Thread(this::close, "meshcap-k8s-cleanup-" + pod.name());
    }

    /**
     * Sets up captures in {@code pod}. The client stays the caller's: close it after the source.
     *
     * @param container which container to capture from (kubectl's -c); default the proxy, else the first
     * @param notes     receives one line per strategy that was skipped or failed, and clean-up problems
     * @throws MeshcapException if the pod is not running, the container does not exist, or no strategy works
     *                          (the message lists each strategy's reason and fix)
     */
    public static KubernetesCaptureSource open(KubernetesClient client, PodInfo pod, Optional<String> container,
            LaunchSettings settings, Consumer<String> notes) {
        if (!pod.running()) {
            throw MeshcapException.failure("pod " + pod.ref() + " is " + pod.phase() + ", not Running; captures need "
                    + "a running pod (kubectl get pod -n " + pod.namespace() + " " + pod.name() + ")");
        }
        ContainerInfo target = pod.container(container);
        PodExec exec = new PodExec(client);
        List<Strategy> order = settings.strategy() == Strategy.AUTO ? Strategy.autoOrder() : List.of(settings.strategy());
        List<String> attempts = new ArrayList<>();
        for (Strategy strategy : order) {
            CaptureLauncher launcher = launcher(strategy, client, exec, pod, target, settings);
            KubernetesCaptureSource source = new KubernetesCaptureSource(pod, target, exec, launcher, attempts, notes,
                    settings.runId());
            // The hook is in place before set-up creates anything.
            Runtime.getRuntime().addShutdownHook(source.shutdownHook);
            try {
                launcher.setUp();
                return source;
            } catch (MeshcapException e) {
                source.close();
                if (order.size() == 1) {
                    throw e;
                }
                String attempt = strategy.flagValue() + ": " + e.getMessage();
                attempts.add(attempt);
                notes.accept("meshcap: note: strategy " + attempt);
            } catch (RuntimeException e) {
                source.close();
                throw e;
            }
        }
        throw MeshcapException.failure("no capture strategy works for pod " + pod.ref() + ":\n  "
                + String.join("\n  ", attempts));
    }

    private static CaptureLauncher launcher(Strategy strategy, KubernetesClient client, PodExec exec, PodInfo pod,
            ContainerInfo container, LaunchSettings settings) {
        return switch (strategy) {
            case EXEC -> new ExecLauncher(exec, pod, container);
            case EPHEMERAL -> new EphemeralContainerLauncher(client, exec, pod, container, settings);
            case NODE -> new NodePodLauncher(client, exec, pod, container, settings);
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
        text.append("run: ").append(runId).append(" (meshcap cleanup --run ").append(runId).append(")\n");
        attempts.forEach(a -> text.append("strategy not used: ").append(a).append('\n'));
        pod.assumptions().forEach(a -> text.append("assumed: ").append(a).append('\n'));
        return text.toString();
    }

    /**
     * Stops every leg's tcpdump, then undoes set-up. Runs once; later calls (and the shutdown hook) return at
     * once. Clean-up problems go to the notes, with what to remove by hand.
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
        running.forEach(PodLegCapture::stop);
        for (PodLegCapture leg : running) {
            try {
                leg.await(LEG_STOP_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String problem = launcher.cleanUp();
        if (problem != null) {
            notes.accept("meshcap: warning: " + problem);
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting; the hook will find the source closed.
            }
        }
    }
}
