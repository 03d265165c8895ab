package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.TcpdumpArgv;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A leg whose tcpdump runs in a pod, behind the PID-announcing wrapper of {@link CaptureArgv#capture}. */
final class PodLegCapture implements LegCapture {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    // After SIGINT tcpdump flushes and exits at once; past this the stream is closed instead.
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Pattern DROPPED = Pattern.compile("(\\d+) packets? dropped by kernel");
    private static final long DROPS_UNKNOWN = -1;

    private final PodExec exec;
    private final ExecTarget target;
    private final RemoteProcess process;
    private final String label;
    private boolean stopped;

    PodLegCapture(PodExec exec, ExecTarget target, RemoteProcess process, String label) {
        this.exec = exec;
        this.target = target;
        this.process = process;
        this.label = label;
    }

    @Override
    public boolean listening() {
        if (process.stderr().contains(TcpdumpArgv.LISTENING)) {
            return true;
        }
        if (!process.finished()) {
            return false;
        }
        Integer exitCode;
        try {
            exitCode = process.await(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        // tcpdump's own words say why (a missing interface, a filter its libpcap rejects).
        String said = said(process.stderr());
        throw MeshcapException.failure("leg " + label + ": tcpdump ended before it was listening"
                + (exitCode == null ? "" : " (exit " + exitCode + ")") + (said.isEmpty() ? "" : ": " + said));
    }

    /**
     * Sends tcpdump SIGINT through a second exec (it flushes, prints its counts and exits 0); closes the
     * stream when that is impossible (no PID announced yet, exec refused) or does not end it in time.
     */
    @Override
    public synchronized void stop() {
        if (stopped || process.finished()) {
            return;
        }
        stopped = true;
        long pid = CaptureArgv.announcedPid(process.stderr());
        boolean signalled = false;
        if (pid > 0) {
            try {
                signalled = exec.runWhileStopping(target, CaptureArgv.stop(pid), STOP_TIMEOUT).ok();
            } catch (RuntimeException e) {
                signalled = false;
            }
        }
        try {
            if (!signalled || process.await(STOP_GRACE) == null) {
                process.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.close();
        }
    }

    @Override
    public LegOutcome await(Duration timeout) throws InterruptedException {
        Integer exitCode = process.await(timeout);
        if (exitCode == null) {
            return null;
        }
        String stderr = process.stderr();
        return new LegOutcome(exitCode, dropped(stderr), message(exitCode, stderr));
    }

    private String message(int exitCode, String stderr) {
        if (process.copyFailure() != null) {
            return "leg " + label + ": writing the capture failed: " + process.copyFailure().getMessage();
        }
        if (exitCode == 0) {
            return "";
        }
        if (exitCode == RemoteProcess.NO_EXIT_STATUS) {
            return "leg " + label + ": the exec stream from " + target.describe() + " ended without an exit status "
                    + "(connection to the API server lost?); the packets received until then are kept";
        }
        String said = said(stderr);
        if (exitCode == CommandResult.NOT_FOUND) {
            return "leg " + label + ": no tcpdump in " + target.describe() + " (" + said + ")";
        }
        return "leg " + label + ": tcpdump exited " + exitCode + ": " + said;
    }

    /** What tcpdump said, without the wrapper's PID announcement. */
    private static String said(String stderr) {
        return stderr.lines()
                .filter(line -> !line.startsWith(CaptureArgv.PID_MARKER))
                .collect(Collectors.joining("\n"))
                .strip();
    }

    private static long dropped(String stderr) {
        Matcher matcher = DROPPED.matcher(stderr);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : DROPS_UNKNOWN;
    }
}
