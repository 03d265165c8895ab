package io.meshcap.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import io.meshcap.capture.k8s.LeftoverCleanup;
import io.meshcap.output.IoErrors;
import io.meshcap.output.Leftovers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshcap cleanup}: removes what interrupted Kubernetes captures, or local runs that died, left behind. */
@Command(
        name = "cleanup",
        header = "Remove helpers and EnvoyFilters meshcap left in a cluster, or what dead local runs left.",
        sortOptions = false,
        description = {
            "Remove what meshcap left in a cluster when a capture could not clean up after itself:",
            "node pods (label app.kubernetes.io/managed-by=meshcap) are deleted; running debug containers named",
            "meshcap-* are stopped (Kubernetes cannot remove an ephemeral container; it stays listed as terminated);",
            "EnvoyFilters that make sidecars log TLS keys (capture --decrypt; same label) are deleted, with the key file.",
            "This also ends captures that are still running; --run limits it to one run (its ID is in pod.txt).",
            "It first asks the API whether it may (as kubectl auth can-i does) and names what it cannot remove and why.",
            "Prints one line per object on stderr; exits 1 if anything could not be removed.",
            "With --local: remove what local runs that were killed or crashed left beside their outputs instead: a",
            "capture's hidden spool directory of legs (.FILE.meshcap-legs-PID-XXXXXX), an incomplete output",
            "(.FILE.meshcap-tmp-PID-XXXXXX) and a merge's spill files. Only files with those names, owned by you,",
            "whose process (PID) is gone are touched: never a run still going, never anything meshcap did not create.",
            "Every meshcap run that writes a file names such leftovers beside its output on stderr."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap cleanup -n shop --dry-run",
            "  meshcap cleanup --all-namespaces",
            "  kubectl meshcap cleanup -n shop --run k3x9q2",
            "  meshcap cleanup --local --dry-run          # the current directory and the temporary directory",
            "  meshcap cleanup --local /data/captures"
        })
final class CleanupCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-A", "--all-namespaces"}, description = "Look in every namespace.")
    boolean allNamespaces;

    @Option(names = "--run", paramLabel = "ID", description = "Only what the run with this ID created.")
    String runId;

    @Option(names = "--dry-run", description = "Only list what would be removed.")
    boolean dryRun;

    @Option(names = "--local", description = "Clean up this machine instead of a cluster: what local runs that died "
            + "left in DIR (default: the current directory and the system's temporary directory).")
    boolean local;

    @Parameters(paramLabel = "DIR", arity = "0..*", description = "With --local: the directories to look in.")
    List<Path> directories = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (local) {
            return cleanUpLocally();
        }
        if (!directories.isEmpty()) {
            throw MeshcapException.usage("directories go with --local: meshcap cleanup --local " + directories.get(0));
        }
        if (allNamespaces && cluster.namespace != null) {
            throw MeshcapException.usage("--all-namespaces and --namespace exclude each other");
        }
        if (runId != null && !runId.matches("[a-z0-9]{1,16}")) {
            throw MeshcapException.usage("--run: '" + runId + "' is not a meshcap run ID");
        }
        PrintWriter err = spec.commandLine().getErr();
        LeftoverCleanup.Report report;
        try (KubernetesClient client = cluster.connect()) {
            Optional<String> namespace = allNamespaces ? Optional.empty() : Optional.of(cluster.namespace(client));
            report = new LeftoverCleanup(client, note -> err.println("meshcap: " + note))
                    .run(namespace, Optional.ofNullable(runId), dryRun);
        }
        report.deletedPods().forEach(pod -> err.println("meshcap: " + (dryRun ? "would delete" : "deleted")
                + " node pod " + pod));
        report.stoppedContainers().forEach(c -> err.println("meshcap: " + (dryRun ? "would stop" : "stopped")
                + " debug container " + c));
        report.deletedFilters().forEach(f -> err.println("meshcap: " + (dryRun ? "would delete" : "deleted")
                + " EnvoyFilter " + f + " (TLS key logging of --decrypt)"));
        if (report.deletedPods().isEmpty() && report.stoppedContainers().isEmpty() && report.deletedFilters().isEmpty()
                && report.problems().isEmpty()) {
            err.println("meshcap: nothing to clean up");
        }
        report.problems().forEach(problem -> err.println("meshcap: " + problem));
        err.flush();
        return report.problems().isEmpty() ? 0 : MeshcapException.Kind.FAILURE.exitCode();
    }

    private int cleanUpLocally() {
        if (allNamespaces || runId != null || cluster.namespace != null || cluster.context != null
                || cluster.kubeconfig != null) {
            throw MeshcapException.usage("--local cleans up this machine: leave out the cluster options"
                    + " (-n, -A, --run, --context, --kubeconfig)");
        }
        List<Path> where = directories.isEmpty()
                ? List.of(Path.of("").toAbsolutePath(), Path.of(System.getProperty("java.io.tmpdir")))
                : directories;
        PrintWriter err = spec.commandLine().getErr();
        int found = 0;
        boolean failed = false;
        for (Path directory : where) {
            for (Leftovers.Leftover leftover : Leftovers.find(directory)) {
                found++;
                try {
                    if (!dryRun) {
                        Leftovers.remove(leftover);
                    }
                    err.println("meshcap: " + (dryRun ? "would remove " : "removed ") + leftover.path());
                } catch (IOException e) {
                    failed = true;
                    err.println("meshcap: could not remove " + leftover.path() + ": " + IoErrors.reason(e));
                }
            }
        }
        if (found == 0) {
            err.println("meshcap: nothing to clean up in " + where.stream().map(Path::toString)
                    .collect(Collectors.joining(" and ")));
        }
        err.flush();
        return failed ? MeshcapException.Kind.FAILURE.exitCode() : 0;
    }
}
