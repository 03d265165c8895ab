package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.capture.StopSignal;
import io.meshcap.demo.Demo;
import io.meshcap.output.OutputTarget;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshcap demo}: the whole job on the built-in lab, in one command. */
@Command(
        name = "demo",
        header = "The main job on the local lab (root): capture all four legs into one merged pcapng.",
        description = {
            "Show meshcap's main job on a local lab (needs root): a network-namespace pod with Istio's real nat rules",
            "and a sidecar running as the proxy uid, speaking mTLS to the mesh; all four legs captured while HTTP calls",
            "go in and out; one merged pcapng in the current directory, holding the lab's TLS keys so that the mTLS",
            "legs read as plainly as the others; the lab removed afterwards."
        },
        footer = {
            "",
            "Examples:",
            "  sudo ./meshcap demo",
            "  sudo ./meshcap demo --calls 10 -o /tmp/demo.pcapng",
            "  sudo ./meshcap demo --keep-lab     # then: meshcap capture sidecar --netns meshcap-demo-pod",
            "  sudo ./meshcap demo --name demo2   # beside a kept one: its lab is demo2-pod and demo2-mesh",
            "",
            "Then open the file: wireshark meshcap-demo.pcapng (one interface per leg), or",
            "  tshark -r meshcap-demo.pcapng -Y http.request     # every call on all four legs, decrypted"
        })
final class DemoCommand implements Callable<Integer> {

    private static final String STDOUT = "-";

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "meshcap-demo.pcapng",
            description = "The merged capture (mode 0600). Default: ${DEFAULT-VALUE}.")
    Path output;

    @Option(names = "--calls", paramLabel = "N", defaultValue = "4",
            description = "Inbound and outbound calls to make (each). Default: ${DEFAULT-VALUE}.")
    int calls;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = Demo.LAB_NAME,
            description = "The demo's lab; its namespaces are NAME-pod and NAME-mesh, and name the legs in the file."
                    + " Another name runs a second demo beside one kept with --keep-lab. Default: ${DEFAULT-VALUE}.")
    String labName;

    @Option(names = "--keep-lab", description = "Leave the lab up afterwards, to explore it with other commands.")
    boolean keepLab;

    @Option(names = "--no-decrypt", description = "Leave the lab's TLS key log out of the file: the mTLS legs stay"
            + " encrypted (by default the file holds the keys and is readable as it is, see docs/decryption.md).")
    boolean noDecrypt;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (calls < 1 || calls > 1000) {
            throw MeshcapException.usage("--calls must be between 1 and 1000");
        }
        PrintWriter err = spec.commandLine().getErr();
        Demo.Outcome outcome;
        if (STDOUT.equals(output.toString())) {
            throw MeshcapException.usage("the demo writes a file: name one with -o FILE, then open it");
        }
        OutputTarget target = OutputTarget.file(output);
        target.reportLeftovers(err);
        try (StopSignal stop = StopSignal.onTermination(err)) {
            outcome = new Demo(labName, err, spec.commandLine().getOut(), System.console() != null)
                    .run(target, calls, keepLab, !noDecrypt, stop);
        }
        if (outcome.capture().anyLegFailed() || outcome.ledger() == null || !outcome.ledger().allVerified()) {
            throw MeshcapException.failure("the demo did not complete cleanly (see above)");
        }
        return 0;
    }
}
