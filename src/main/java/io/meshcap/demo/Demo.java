package io.meshcap.demo;

import io.meshcap.MeshcapException;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.CaptureSession;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.StopSignal;
import io.meshcap.capture.local.LocalCaptureTools;
import io.meshcap.capture.local.LocalDiscovery;
import io.meshcap.capture.local.TcpdumpCaptureSource;
import io.meshcap.lab.Lab;
import io.meshcap.lab.LabConfig;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.RedirectPortsByInterface;
import io.meshcap.net.Addresses;
import io.meshcap.output.OutputTarget;
import io.meshcap.plan.CapturePlanner;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.Preset;
import io.meshcap.plan.PresetCatalogue;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.Host;
import io.meshcap.sys.NetworkNamespace;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The main job on the built-in lab, start to finish: bring up a sidecar pod with Istio's real rules, plan all
 * four legs from what the pod shows, capture them while calls go in and out, merge them into one pcapng, and
 * take the lab down again, whatever happens in between.
 */
public final class Demo {

    /** The demo's own lab unless told another name, so it never touches a lab the user brought up. */
    public static final String LAB_NAME = "meshcap-demo";
    /**
     * Not the lab's default 8080: Wireshark decodes port 8080 as HTTP and so never finds the TLS on it without a
     * Decode As. On these ports it finds the TLS, and with the key log in the file, the requests inside it.
     */
    public static final List<Integer> APP_PORTS = List.of(9080, 9090);
    private static final String GROUP = "sidecar";

    private final String labName;
    private final PrintWriter out;
    private final PrintWriter report;
    private final boolean terminal;

    /**
     * @param labName  the lab to bring up, capture in and take down ({@link #LAB_NAME} unless told)
     * @param out      progress, as every capture reports it (stderr)
     * @param report   the result: the stream table (stdout)
     * @param terminal whether {@code out} is a terminal, for the live status line
     */
    public Demo(String labName, PrintWriter out, PrintWriter report, boolean terminal) {
        this.labName = labName;
        this.out = out;
        this.report = report;
        this.terminal = terminal;
    }

    /**
     * Runs the demo.
     *
     * @param calls   inbound and outbound calls each
     * @param keepLab leave the lab up afterwards (for exploring with meshcap capture --netns)
     * @param decrypt put the lab's TLS key log into the file, so Wireshark reads the mTLS legs
     * @return the capture's result and the ledger of what the calls really were
     */
    public Outcome run(OutputTarget output, int calls, boolean keepLab, boolean decrypt, StopSignal stop)
            throws InterruptedException {
        Host.requireRoot("the demo needs root (it brings up the lab and captures in it)");
        Host.requireTools("the demo", Stream.concat(Lab.TOOLS.stream(), LocalCaptureTools.needed(true).stream()).toList());
        Lab lab = Lab.of(LabConfig.defaults().withName(labName).withAppPorts(APP_PORTS));
        LabConfig existing = lab.status().config();
        if (existing != null && !existing.equals(lab.config())) {
            // Not the demo's lab (a user's, by --name): refused before the try below, which would take it down.
            throw MeshcapException.failure("lab " + labName + " is up with settings of its own, not the demo's:"
                    + " give the demo another --name (or remove that lab with meshcap lab down --name " + labName + ")");
        }
        LabTopology topology = lab.topology();
        step(1, "lab", "bringing up pod " + topology.podNamespace() + " (" + LabTopology.POD_IPV4 + ", Istio's nat rules, "
                + "a sidecar as uid " + lab.config().proxyUid() + " speaking mTLS with the mesh) and mesh "
                + topology.meshNamespace());
        try {
            lab.up();
            NetworkNamespace pod = NetworkNamespace.named(topology.podNamespace());
            TargetFacts facts = LocalDiscovery.discover(pod);
            List<Preset> presets = PresetCatalogue.bundled().resolve(GROUP);
            FilterInputs inputs = new FilterInputs(facts.addresses(), facts.appPorts(),
                    facts.ephemeralRange(), false,
                    facts.outboundPort() != null ? facts.outboundPort() : IstioDefaults.OUTBOUND_CAPTURE_PORT, List.of());
            List<LegPlan> legs = CapturePlanner.plan(pod.label(), presets, inputs, null, CaptureLimits.none(),
                    Map.of("target", pod.label(), "lab", labName));
            step(2, "plan", "read from the pod: address " + facts.addresses().stream().map(Addresses::format).toList()
                    + ", app ports " + facts.appPorts() + ", proxy uid(s) " + facts.proxyUids()
                    + ", outbound port " + facts.outboundPort() + " and inbound port " + facts.inboundPort()
                    + " from its iptables rules"
                    + ", ephemeral range " + facts.ephemeralRange());
            for (LegPlan leg : legs) {
                out.println("        " + leg.label() + "  " + leg.filter());
            }
            step(3, "capture", legs.size() + " legs; driving " + calls + " inbound and " + calls + " outbound calls");
            out.flush();
            AtomicReference<Ledger> ledger = new AtomicReference<>();
            CaptureSession.Result result;
            try (CaptureSource source = new TcpdumpCaptureSource(pod)) {
                result = new CaptureSession(source, out, terminal)
                        .withTlsKeyLogs(decrypt ? List.of(lab.keyLog()) : List.of())
                        .run(legs, output, null, false,
                        RedirectPortsByInterface.everywhere(RedirectPorts.of(inputs.outboundPort(), facts.inboundPort())),
                        stop,
                        () -> ledger.set(lab.traffic(calls, calls)));
            }
            step(4, "streams", "each connection per leg, and which legs carried the same call (on stdout)");
            report.println(result.streams().describe());
            report.flush();
            step(5, "result", "every call was checked end to end by its client and server: "
                    + (ledger.get() != null && ledger.get().allVerified() ? "all " + ledger.get().connections().size() + " verified"
                    : "NOT all verified"));
            out.println("        " + (decrypt ? "readable in the file: " + Readability.of(result.streams())
                    : "the mTLS legs stay encrypted (--no-decrypt)"));
            return new Outcome(result, ledger.get());
        } finally {
            if (keepLab) {
                out.println("meshcap: the lab stays up; capture from it with: meshcap capture sidecar --netns "
                        + topology.podNamespace() + "; remove it with: meshcap lab down --name " + labName);
            } else {
                lab.down();
                out.println("meshcap: lab " + labName + " removed");
            }
            out.flush();
        }
    }

    private void step(int number, String stage, String text) {
        out.println("[" + number + "/5] " + stage + ": " + text);
        out.flush();
    }

    /**
     * What the demo produced.
     *
     * @param capture the capture and merge
     * @param ledger  the calls as their endpoints saw them
     */
    public record Outcome(CaptureSession.Result capture, Ledger ledger) {
    }
}
