package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.meshcap.MeshcapException;
import io.meshcap.sys.CommandRunner;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Runs argv lists in pod containers through the exec API and keeps the log of every command it ran
 * (for the metadata bundle). The argv goes to the API as separate {@code command=} parameters and is
 * executed by the container runtime directly: no shell is involved unless the argv names one.
 */
public final class PodExec {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);

    private final KubernetesClient client;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    public PodExec(KubernetesClient client) {
        this.client = client;
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
            throw ApiFailures.explain(e, "exec in pod " + target.namespace() + "/" + target.pod(), "");
        }
        return RemoteProcess.start(watch, stdout, stderr, "meshcap-exec-" + target.pod());
    }

    /**
     * Runs a short command to completion.
     *
     * @throws MeshcapException if it has not ended within {@code timeout}
     */
    CommandResult run(ExecTarget target, List<String> command, Duration timeout) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        RemoteProcess process = start(target, command, stdout);
        try {
            Integer exit = process.await(timeout);
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
