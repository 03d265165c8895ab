package io.meshcap.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import io.meshcap.capture.k8s.LeftoverCleanup;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshcap cleanup}: removes what interrupted Kubernetes captures left behind. */
@Command(
        name = "cleanup",
        header = "Remove capture helpers meshcap left in a cluster, found by their labels.",
        sortOptions = false,
        description = {
            "Remove what meshcap left in a cluster when a capture could not clean up after itself:",
            "node pods (label app.kubernetes.io/managed-by=meshcap) are deleted; running debug containers named",
            "meshcap-* are stopped (Kubernetes cannot remove an ephemeral container; it stays listed as terminated).",
            "This also ends captures that are still running; --run limits it to one run (its ID is in pod.txt).",
            "It first asks the API whether it may (as kubectl auth can-i does) and names what it cannot remove and why.",
            "Prints one line per object on stderr; exits 1 if anything could not be removed."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap cleanup -n shop --dry-run",
            "  meshcap cleanup --all-namespaces",
            "  kubectl meshcap cleanup -n shop --run k3x9q2"
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
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
        if (report.deletedPods().isEmpty() && report.stoppedContainers().isEmpty() && report.problems().isEmpty()) {
            err.println("meshcap: nothing to clean up");
        }
        report.problems().forEach(problem -> err.println("meshcap: " + problem));
        err.flush();
        return report.problems().isEmpty() ? 0 : MeshcapException.Kind.FAILURE.exitCode();
    }
}
