package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import io.meshcap.sys.CommandRunner;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs argv lists in pod containers through the exec API and keeps the log of every command it ran
 * (for the metadata bundle). The argv goes to the API as separate {@code command=} parameters and is
 * executed by the container runtime directly: no shell is involved unless the argv names one.
 */
public final class PodExec {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    // How often a command that may be given up on looks at the stop signal.
    private static final Duration STOP_POLL = Duration.ofMillis(200);

    private final KubernetesClient client;
    private final StopSignal stop;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    /** @param stop what {@link #run} gives up on; clean-up ({@link #runWhileStopping}) runs regardless */
    public PodExec(KubernetesClient client, StopSignal stop) {
        this.client = client;
        this.stop = stop;
    }

    /** Starts {@code command} in {@code target}, copying its stdout to {@code stdout} as it arrives. */
    RemoteProcess start(ExecTarget target, List<String> command, OutputStream stdout) {
        List<String> argv = target.argv(command);
        log.add(target.describe() + ": " + CommandRunner.display(argv));
        RemoteProcess.BoundedBuffer stderr = RemoteProcess.newStderrBuffer();
        ExecWatch watch;
        try {
            watch = client.pods().inNamespace(target.namespace()).withName(target.pod())
                    .inContainer(target.container())
                    .redirectingOutput()
                    .writingError(stderr)
                    .exec(argv.toArray(String[]::new));
        } catch (KubernetesClientException e) {
            throw ApiFailures.explainExec(client, e, execPath(target, argv), "exec in pod " + target.namespace() + "/"
                    + target.pod());
        }
        return RemoteProcess.start(watch, stdout, stderr, "meshcap-exec-" + target.pod());
    }

    /** The API path fabric8 opens for an exec, for reading the reason when it is refused. */
    private static String execPath(ExecTarget target, List<String> argv) {
        String commands = argv.stream()
                .map(a -> "command=" + URLEncoder.encode(a, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("&"));
        return "/api/v1/namespaces/" + target.namespace() + "/pods/" + target.pod() + "/exec?" + commands
                + "&container=" + URLEncoder.encode(target.container(), StandardCharsets.UTF_8)
                + "&stdout=true&stderr=true";
    }

    /**
     * Runs a short command of set-up to completion, giving up when a stop is requested.
     *
     * @throws MeshcapException if it has not ended within {@code timeout}, or a stop was requested
     */
    CommandResult run(ExecTarget target, List<String> command, Duration timeout) {
        return run(target, command, timeout, true);
    }

    /** Runs a short command of clean-up to completion: a stop request is what it is part of. */
    CommandResult runWhileStopping(ExecTarget target, List<String> command, Duration timeout) {
        return run(target, command, timeout, false);
    }

    private CommandResult run(ExecTarget target, List<String> command, Duration timeout, boolean givesUp) {
        if (givesUp) {
            stop.checkNotStopped("setting up in " + target.describe());
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        RemoteProcess process = start(target, command, stdout);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            Integer exit = null;
            while (exit == null && System.nanoTime() < deadline) {
                if (givesUp) {
                    stop.checkNotStopped("running '" + CommandRunner.display(command) + "' in " + target.describe());
                }
                Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                exit = process.await(givesUp && left.compareTo(STOP_POLL) > 0 ? STOP_POLL : left);
            }
            if (exit == null) {
                throw MeshcapException.failure("'" + CommandRunner.display(command) + "' in " + target.describe()
                        + " did not finish within " + timeout.toSeconds() + "s");
            }
            return new CommandResult(exit, stdout.toString(StandardCharsets.UTF_8), process.stderr());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while running '" + CommandRunner.display(command) + "'", e);
        } finally {
            process.close();
        }
    }

    /**
     * Checks that tcpdump runs in {@code target}.
     *
     * @param fix what to do when it is missing, e.g. "pass --image with an image that has it"
     * @throws MeshcapException if it is missing or fails to start
     */
    void requireTcpdump(ExecTarget target, String fix) {
        CommandResult probe = run(target, CaptureArgv.probe(), PROBE_TIMEOUT);
        if (probe.executableMissing()) {
            throw MeshcapException.failure("no tcpdump in " + target.describe() + "; " + fix);
        }
        if (!probe.ok()) {
            throw MeshcapException.failure("tcpdump does not run in " + target.describe() + " (exit "
                    + probe.exitCode() + ": " + probe.diagnostic() + "); " + fix);
        }
    }

    /** Every command run so far, as {@code ns/pod (container X): argv}, in order. */
    public List<String> commandLog() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }
}
