package io.meshcap.lab;

import io.meshcap.MeshcapException;
import io.meshcap.istio.IstioDefaults;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts, finds and stops a lab's background processes. Each is a JVM started through {@code setsid} (so it
 * survives the terminal and the JVM that ran {@code lab up}) and {@code ip netns exec}; the sidecar additionally
 * through {@code setpriv}, so its sockets belong to the proxy uid. setsid, ip and setpriv all exec in place, so the
 * pid recorded is the JVM's own.
 */
final class LabProcesses {

    /** Generous: on a loaded machine a JVM that loads its keys and certificates takes a while to start. */
    private static final long READY_TIMEOUT_MILLIS = 60_000;
    private static final long POLL_MILLIS = 20;
    private static final long STOP_TIMEOUT_MILLIS = 5_000;
    private static final String SCRATCH_PERMISSIONS = "rwx------";

    private LabProcesses() {
    }

    /** The full argv of a role's process (pure). */
    static List<String> argv(LabRole role, LabConfig config, String classpath, RunDirectory run) {
        LabTopology topology = LabTopology.of(config);
        String ports = String.join(",", config.appPorts().stream().map(String::valueOf).toList());
        List<String> argv = new ArrayList<>(List.of("setsid", "ip", "netns", "exec"));
        String tls = run.tlsDirectory().toString();
        String keyLog = run.keyLog().toString();
        switch (role) {
            case SIDECAR -> {
                String uid = Integer.toString(config.proxyUid());
                argv.addAll(List.of(topology.podNamespace(), "setpriv", "--reuid=" + uid, "--regid=" + uid,
                        "--clear-groups"));
                String families = String.join(",", topology.families().stream().map(IpFamily::label).toList());
                Path scratch = run.sidecarScratch();
                argv.addAll(ChildJvm.command(config.name(), classpath,
                        List.of("-Djna.tmpdir=" + scratch, "-Djava.io.tmpdir=" + scratch),
                        SidecarMain.class, List.of(Integer.toString(IstioDefaults.OUTBOUND_CAPTURE_PORT),
                                Integer.toString(IstioDefaults.INBOUND_CAPTURE_PORT), families, tls, keyLog)));
            }
            case APP -> {
                argv.add(topology.podNamespace());
                argv.addAll(ChildJvm.command(config.name(), classpath, List.of(), ServerMain.class,
                        List.of(LabRole.APP.id(), ports)));
            }
            case UPSTREAM -> {
                argv.add(topology.meshNamespace());
                argv.addAll(ChildJvm.command(config.name(), classpath, List.of(), ServerMain.class,
                        List.of(LabRole.UPSTREAM.id(), ports, tls, LabTopology.MESH_IDENTITY, keyLog)));
            }
            default -> throw new IllegalArgumentException("unknown role " + role);
        }
        return List.copyOf(argv);
    }

    /** Starts every role that is not running, then waits until each has reported ready. */
    static void ensure(LabConfig config, RunDirectory run) {
        Map<LabRole, Process> started = new EnumMap<>(LabRole.class);
        for (LabRole role : LabRole.values()) {
            if (running(run, config.name(), role).isEmpty()) {
                started.put(role, start(role, config, run));
            }
        }
        started.forEach((role, process) -> awaitReady(role, process, run));
    }

    /** The pid of a role's process if it is alive and really the lab's (not a stranger that reused the pid). */
    static Optional<Long> running(RunDirectory run, String labName, LabRole role) {
        return run.readPid(role).filter(pid -> belongsToLab(pid, labName));
    }

    /** Stops the lab's processes, then anything else still running in its namespaces. */
    static void stopAll(RunDirectory run, String labName, LabTopology topology) {
        List<ProcessHandle> victims = new ArrayList<>();
        for (LabRole role : LabRole.values()) {
            running(run, labName, role).flatMap(ProcessHandle::of).ifPresent(victims::add);
        }
        for (String namespace : List.of(topology.podNamespace(), topology.meshNamespace())) {
            if (Namespaces.exists(namespace)) {
                Namespaces.pids(namespace).stream().map(ProcessHandle::of).flatMap(Optional::stream)
                        .forEach(victims::add);
            }
        }
        victims.forEach(ProcessHandle::destroy);
        // Polled rather than onExit(): for processes that are not our children the JDK polls with a long backoff.
        long deadline = System.currentTimeMillis() + STOP_TIMEOUT_MILLIS;
        while (victims.stream().anyMatch(ProcessHandle::isAlive) && System.currentTimeMillis() < deadline) {
            pause("stopping the lab's processes");
        }
        victims.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static void pause(String activity) {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MeshcapException.failure("interrupted while " + activity);
        }
    }

    private static Process start(LabRole role, LabConfig config, RunDirectory run) {
        String classpath = ChildJvm.stageClasspath(run);
        if (role == LabRole.SIDECAR) {
            prepareScratch(run.sidecarScratch(), config.proxyUid());
        }
        List<String> argv = argv(role, config, classpath, run);
        try {
            Process process = new ProcessBuilder(argv)
                    .redirectInput(Redirect.from(new File("/dev/null")))
                    .redirectOutput(run.log(role).toFile())
                    .redirectErrorStream(true)
                    .start();
            run.writePid(role, process.pid());
            return process;
        } catch (IOException e) {
            throw MeshcapException.failure("cannot start the lab's " + role.id() + " process: " + e.getMessage(), e);
        }
    }

    private static void prepareScratch(Path scratch, int uid) {
        try {
            Files.createDirectories(scratch);
            Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString(SCRATCH_PERMISSIONS));
            Files.setAttribute(scratch, "unix:uid", uid);
            Files.setAttribute(scratch, "unix:gid", uid);
        } catch (IOException e) {
            throw MeshcapException.failure("cannot prepare " + scratch + " for the sidecar: " + e.getMessage(), e);
        }
    }

    /**
     * Waits for a role's ready line. Whether it died is asked of its {@link Process}, not of its command line:
     * while the process execs from setsid to ip to setpriv to java, /proc/PID/cmdline is briefly empty.
     */
    private static void awaitReady(LabRole role, Process process, RunDirectory run) {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        Path log = run.log(role);
        while (System.currentTimeMillis() < deadline) {
            String output = readLog(log);
            if (output.lines().anyMatch(ServerMain.READY::equals)) {
                return;
            }
            if (!process.isAlive()) {
                throw MeshcapException.failure("the lab's " + role.id() + " process exited during start-up: "
                        + (output.isBlank() ? "no output" : lastLines(output)) + " (full log: " + log + ")");
            }
            pause("waiting for the lab's " + role.id() + " process");
        }
        throw MeshcapException.failure("the lab's " + role.id() + " process did not become ready within "
                + READY_TIMEOUT_MILLIS / 1000 + " s; see " + log);
    }

    private static boolean belongsToLab(long pid, String labName) {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        try {
            String[] args = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0");
            return Arrays.asList(args).contains(ChildJvm.LAB_PROPERTY + labName);
        } catch (IOException e) {
            return false;
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.isRegularFile(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String lastLines(String output) {
        List<String> lines = output.strip().lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }
}
