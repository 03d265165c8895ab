package io.meshcap.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import io.meshcap.Version;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.CaptureSession;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.LiveStream;
import io.meshcap.capture.MetadataBundle;
import io.meshcap.capture.MultiTargetSource;
import io.meshcap.capture.StopSignal;
import io.meshcap.capture.k8s.ClusterRun;
import io.meshcap.capture.k8s.KubernetesCaptureSource;
import io.meshcap.capture.k8s.PodInfo;
import io.meshcap.capture.k8s.PodSources;
import io.meshcap.capture.local.LocalCaptureTools;
import io.meshcap.capture.local.LocalDiscovery;
import io.meshcap.capture.local.Pcap4jCaptureSource;
import io.meshcap.capture.local.TcpdumpCaptureSource;
import io.meshcap.output.OutputTarget;
import io.meshcap.plan.CapturePlanner;
import io.meshcap.plan.FilterCheck;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.FilterNotes;
import io.meshcap.plan.Preset;
import io.meshcap.plan.PresetCatalogue;
import io.meshcap.plan.TargetFacts;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.RedirectPortsByInterface;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.NetworkNamespace;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshcap capture}: plans the legs for a target, captures them, and writes one merged pcapng. */
@Command(
        name = "capture",
        sortOptions = false,
        description = {
            "Capture one leg, or a group of legs, of a sidecar or gateway pod into one merged pcapng.",
            "The pod's address, application ports, ephemeral port range, redirect ports and proxy uid are read",
            "from its network namespace (or, for pods, from the Kubernetes API and inside the pod: its own",
            "rules, even with --print-plan); flags override them. Every leg starts at once; each one's start",
            "(time, interface, filter) is printed before 'capturing', and --duration counts from there.",
            "Ctrl-C (or SIGTERM) stops the capture and still writes the merged file and its metadata; nothing is left",
            "running in the cluster. A second Ctrl-C quits at once, naming what may be left and the cleanup command."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap capture sidecar --netns meshcap-pod --duration 30s",
            "  meshcap capture outbound-plain --pid 4242 -o outbound.pcapng",
            "  meshcap capture sidecar --pid 4242 --max-size 50M --ring 4     # keep the last ~200 MB per leg",
            "  meshcap capture inbound-mtls --netns meshcap-pod --port 8080 --count 100 --print-plan",
            "  meshcap capture inbound-mtls --pod reviews-v1-abc -n bookinfo --duration 1m",
            "  meshcap capture outbound-plain --pod bookinfo/reviews-v1-abc --print-plan   # filters from its rules",
            "  meshcap capture sidecar --selector app=reviews -n bookinfo --strategy ephemeral",
            "  meshcap capture gateway --pod istio-system/istio-ingressgateway-xyz --cluster-cidr 192.168.0.0/12",
            "  meshcap capture sidecar --netns meshcap-pod --tls-keylog /run/meshcap/lab/meshcap/tls-keys.log",
            "  meshcap capture sidecar --pod shop/reviews-v1-abc --decrypt --duration 1m   # Envoy's own TLS keys",
            "  meshcap capture sidecar --pod shop/reviews-v1-abc --decrypt --print-plan    # the EnvoyFilter, unapplied",
            "  meshcap capture sidecar --pod shop/reviews-v1-abc --decrypt -o - | tshark -l -r - -Y http.request",
            "  meshcap capture sidecar --pod reviews-v1-abc -o - | wireshark -k -i -     # watch it live",
            "  meshcap capture sidecar --selector app=reviews -o all.pcapng --live - | tshark -l -r -",
            "",
            "With --tls-keylog or --decrypt the file also holds the keys (mode 0600, said on stderr): tshark -r FILE",
            "-Y http then shows the requests on the mTLS legs. See docs/decryption.md.",
            "",
            "Live (-o -, --live): legs in time order within --reorder-window, re-associated; each connection's",
            "leg and join go to the summary and the complete file. Closing the reader stops the capture (exit 1).",
            "TLS keys (--tls-keylog, --decrypt) are streamed as they are logged, each before the packets that need",
            "it; a new TLS connection's packets wait for its keys (at most 5 s). See docs/live.md.",
            "",
            "Groups: sidecar (all four sidecar legs), gateway (both gateway sides)."
        })
final class CaptureCommand implements Callable<Integer> {

    private static final String GATEWAY_GROUP = "gateway";
    private static final String STDOUT = "-";
    /** How long a packet of a live stream waits for earlier packets of other legs, unless told. */
    private static final Duration REORDER_WINDOW = Duration.ofMillis(200);
    private static final Duration LONGEST_REORDER_WINDOW = Duration.ofSeconds(60);

    @Parameters(index = "0", paramLabel = "PRESET", completionCandidates = PresetAndGroupNames.class,
            description = "A group or preset: ${COMPLETION-CANDIDATES}.")
    String presetName;

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "Target on this machine (one of):%n")
    Target target;

    @Mixin
    KubernetesOptions kubernetes;

    static final class Target {
        @Option(names = "--netns", paramLabel = "NAME", description = "A network namespace made with ip netns (e.g. the lab's meshcap-pod).")
        String netns;

        @Option(names = "--pid", paramLabel = "PID", description = "A process inside the pod's network namespace (e.g. the app's or Envoy's).")
        Long pid;
    }

    @Mixin
    FilterOptions filterOptions;

    @Option(names = "--proxy-uid", paramLabel = "UID",
            description = "Also treat this uid as the sidecar's (its sockets are not application ports). "
                    + "Default: the uids the pod's interception rules exempt.")
    Integer proxyUid;

    @Option(names = "--extra-filter", paramLabel = "EXPR", description = "A BPF expression ANDed with every leg's filter.")
    String extraFilter;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "The merged pcapng (mode 0600), replaced only once complete. Default: "
                    + "meshcap-TARGET-TIME.pcapng in the current directory. '-' streams it to standard output while"
                    + " capturing: -o - | wireshark -k -i -")
    Path output;

    @Option(names = "--live", paramLabel = "PIPE",
            description = "Also stream the capture while it runs, to standard output (-) or a named pipe (mkfifo),"
                    + " while -o FILE gets the complete file.")
    String live;

    @Option(names = "--reorder-window", paramLabel = "TIME", converter = Quantities.DurationConverter.class,
            description = "With -o - or --live: the longest a packet may wait for earlier packets of other legs before"
                    + " it is streamed (0ms to 60s); an idle leg whose capturer has handed everything over holds it only"
                    + " as long as its packets take to arrive. Later ones are still streamed, marked late."
                    + " Default: 200ms.")
    Duration reorderWindow;

    @Option(names = "--duration", paramLabel = "TIME", converter = Quantities.DurationConverter.class,
            description = "Stop after this long (250ms, 30s, 5m, 1h; at most 8760h), counted from when every leg"
                    + " is listening: setting up before that and merging after it come on top. Default: until Ctrl-C or"
                    + " another limit.")
    Duration duration;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "Stop each leg after N packets (1 or more).")
    Long count;

    @Option(names = "--max-size", paramLabel = "SIZE", converter = Quantities.SizeConverter.class,
            description = "Stop each leg when its file reaches SIZE (500K, 100M, 2G: powers of 1024; at least 64K).")
    Long maxSize;

    @Option(names = "--ring", paramLabel = "N", defaultValue = "1",
            description = "With --max-size: never stop, keep each leg's newest N files of --max-size (a ring buffer "
                    + "for waiting on a rare problem). Default: 1 (stop at --max-size).")
    int ringFiles;

    @Option(names = {"-s", "--snaplen"}, paramLabel = "BYTES", description = "Bytes kept of each packet. Default: whole packets.")
    int snapLength;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "tcpdump",
            description = "How local legs are captured: tcpdump (a subprocess per leg, the same command that runs in "
                    + "pods; each packet shows at once) or pcap4j (libpcap inside meshcap, a kernel buffer at a time: "
                    + "for busy interfaces, it keeps up with about 100 k packets/s on lo). Default: ${DEFAULT-VALUE}.")
    Engine engine;

    enum Engine { tcpdump, pcap4j }

    @Option(names = "--print-plan", description = "Print the legs, filters and commands, and capture nothing. With --pod"
            + " or --selector the capture helper is still set up, to read each pod's rules, and removed again. With"
            + " --decrypt also the EnvoyFilter that would be applied and the checks made; nothing is applied.")
    boolean printPlan;

    @Option(names = "--side", paramLabel = "SIDE",
            description = "With the gateway group: downstream (clients outside the cluster), upstream (services "
                    + "inside) or both (default).")
    GatewaySide side;

    enum GatewaySide { downstream, upstream, both }

    @Option(names = "--no-reassociate",
            description = "Leave lo packets as captured (by default the REDIRECT to the outbound port is undone, so "
                    + "every stream can be followed, and each connection's first packet names its leg and call).")
    boolean noReassociate;

    @Option(names = "--keep-legs", description = "Keep each leg's own pcap file in a visible directory beside the merged one, "
            + "FILE.legs/ (FILE.legs.2/ and so on if that exists); the summary names it.")
    boolean keepLegs;

    @Mixin
    TlsKeyLogOption tlsKeyLog;

    @Mixin
    DecryptOption decrypt;

    @Option(names = "--filters", paramLabel = "DIR", description = "Read presets from DIR/presets.json.")
    Path filtersDirectory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if ((target == null) == !kubernetes.requested()) {
            throw MeshcapException.usage("name one target: --netns NAME or --pid PID on this machine, "
                    + "or --pod [NS/]NAME or --selector LABELS in a cluster");
        }
        CaptureLimits limits = limits();
        validateLive();
        filterOptions.validate();
        decrypt.validate(kubernetes.requested());
        noteKeyLogsNotThereYet();
        List<Preset> presets = PresetCatalogue.bundledOr(filtersDirectory).resolve(sided(presetName));
        // Checked before anything starts; the default name needs the target, so it is checked again once known.
        output("target").reportLeftovers(spec.commandLine().getErr());
        return target != null ? captureLocal(presets, limits) : captureInCluster(presets, limits);
    }

    /**
     * The limits the flags set, refused up front when they cannot mean what was asked: a limit of 0 would be no
     * limit at all (leave the flag out for that), and a file smaller than one packet would stop at once.
     */
    private CaptureLimits limits() {
        if (count != null && count < 1) {
            throw MeshcapException.usage("--count must be at least 1; leave it out to capture without a packet limit");
        }
        if (maxSize != null && maxSize < CaptureLimits.SMALLEST_FILE) {
            throw MeshcapException.usage("--max-size must be at least 64K, so that a leg's file holds a whole packet"
                    + " (the kernel hands over packets of up to 64 KiB); leave it out for no size limit");
        }
        if (proxyUid != null && proxyUid < 0) {
            throw MeshcapException.usage("--proxy-uid must be a user id (0 or more), not " + proxyUid);
        }
        return new CaptureLimits(duration, count == null ? 0 : count, maxSize == null ? 0 : maxSize, snapLength,
                ringFiles);
    }

    /** {@code -o -} and {@code --live} are refused up front when they cannot mean what was asked. */
    private void validateLive() {
        if (live != null && toStdout()) {
            throw MeshcapException.usage("-o - already streams the capture to standard output; --live goes with"
                    + " -o FILE (keep the complete file and watch at the same time)");
        }
        if (live != null && !STDOUT.equals(live)) {
            Path pipe = Path.of(live);
            if (!Files.exists(pipe) || Files.isRegularFile(pipe) || Files.isDirectory(pipe)) {
                throw MeshcapException.usage("--live " + live + ": not a named pipe; make one with mkfifo " + live
                        + " and open it (wireshark -k -i " + live + "), or stream to standard output with --live -");
            }
        }
        if (reorderWindow != null && live == null && !toStdout()) {
            throw MeshcapException.usage("--reorder-window goes with a live stream: -o - or --live");
        }
        if (reorderWindow != null && reorderWindow.compareTo(LONGEST_REORDER_WINDOW) > 0) {
            throw MeshcapException.usage("--reorder-window must be at most 60s: every packet may wait that long");
        }
    }

    private boolean toStdout() {
        return output != null && STDOUT.equals(output.toString());
    }

    /**
     * A key log is read when the capture ends (and by a live stream as it grows); one that does not exist yet may
     * well be written meanwhile.
     */
    private void noteKeyLogsNotThereYet() {
        for (Path file : tlsKeyLog.files) {
            if (!Files.exists(file)) {
                spec.commandLine().getErr().println("meshcap: note: " + file + " does not exist yet; it is read when"
                        + " the capture ends");
            }
        }
    }

    /** {@code gateway --side upstream} is the gateway-upstream preset; the side means nothing elsewhere. */
    private String sided(String name) {
        if (side == null || side == GatewaySide.both) {
            return name;
        }
        if (!name.equals(GATEWAY_GROUP)) {
            throw MeshcapException.usage("--side goes with the gateway group: meshcap capture gateway --side " + side);
        }
        return GATEWAY_GROUP + "-" + side;
    }

    private int captureLocal(List<Preset> presets, CaptureLimits limits) throws InterruptedException {
        LocalCaptureTools.require("a capture on this machine", !printPlan && engine == Engine.tcpdump);
        PrintWriter err = spec.commandLine().getErr();
        NetworkNamespace namespace = target.netns != null
                ? NetworkNamespace.named(target.netns)
                : NetworkNamespace.ofProcess(target.pid);
        TargetFacts facts = proxyUid == null
                ? LocalDiscovery.discover(namespace) : LocalDiscovery.discover(namespace, proxyUid);
        FilterInputs inputs = inputs(presets, facts);
        RedirectPorts redirect = redirect(inputs, facts.inboundPort());
        List<LegPlan> legs = CapturePlanner.plan(namespace.label(), presets, inputs, extraFilter, limits,
                Map.of("target", namespace.label(), "netns", namespace.file().toString()));
        if (printPlan) {
            PlanPrinter.print(legs, leg -> engine == Engine.pcap4j
                    ? "libpcap inside meshcap (--engine pcap4j), in the " + namespace.describe()
                    : CommandRunner.display(TcpdumpCaptureSource.command(namespace, leg)), redirect,
                    spec.commandLine().getOut());
            return 0;
        }
        OutputTarget file = output(namespace.label());
        CaptureSource local = engine == Engine.pcap4j ? new Pcap4jCaptureSource(namespace) : new TcpdumpCaptureSource(namespace);
        try (CaptureSource source = local; StopSignal stop = StopSignal.onTermination(err)) {
            return finish(capture(source, legs, file,
                    redirect == null ? null : RedirectPortsByInterface.everywhere(redirect), stop), file);
        }
    }

    /**
     * Sets up every pod's capture helper first: the filters and the ports re-association undoes come from what is
     * read inside each pod (its rules, port range and sockets), so even --print-plan reads them, and then removes
     * the helpers again.
     */
    private int captureInCluster(List<Preset> presets, CaptureLimits limits) throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        kubernetes.validate();
        FilterCheck check = FilterCheck.forCluster();
        if (check == FilterCheck.WHERE_IT_RUNS) {
            err.println("meshcap: note: libpcap is not installed here, so tcpdump in the pod checks the filters as it"
                    + " starts (apt-get install -y libpcap0.8 checks them before anything starts)");
        }
        // Closed in reverse: every helper is removed while the client is open, and Ctrl-C is handled until then.
        try (StopSignal stop = StopSignal.onTermination(err); KubernetesClient client = kubernetes.cluster.connect()) {
            List<PodInfo> pods = kubernetes.discover(client);
            ClusterRun run = kubernetes.start(client, err, stop, decrypt.keyLogWait());
            List<KubernetesCaptureSource> sources = PodSources.openAll(run, pods, kubernetes.container(),
                    kubernetes.maxParallel);
            Map<String, KubernetesCaptureSource> byTarget = new LinkedHashMap<>();
            try (MultiTargetSource all = new MultiTargetSource(byTarget(sources, byTarget))) {
                List<LegPlan> legs = new ArrayList<>();
                // Each pod's legs undo that pod's own REDIRECT ports: pods of one selector may differ.
                Map<String, RedirectPorts> redirects = new LinkedHashMap<>();
                for (KubernetesCaptureSource source : sources) {
                    PodInfo pod = source.pod();
                    TargetFacts facts = source.facts().targetFacts(pod, givenProxyUid());
                    FilterInputs inputs = inputs(presets, facts);
                    RedirectPorts redirect = redirect(inputs, facts.inboundPort());
                    List<LegPlan> podLegs = CapturePlanner.plan(pod.ref().toString(), presets, inputs, extraFilter,
                            limits, pod.metadata(), check);
                    if (printPlan) {
                        PlanPrinter.print(podLegs, leg -> source.describeCapture(leg), redirect,
                                spec.commandLine().getOut());
                        if (decrypt.requested) {
                            source.planKeyLogging().forEach(spec.commandLine().getOut()::println);
                        }
                    }
                    if (redirect != null) {
                        podLegs.forEach(leg -> redirects.put(leg.label(), redirect));
                    }
                    legs.addAll(podLegs);
                }
                if (printPlan) {
                    return 0;
                }
                if (decrypt.requested) {
                    PodSources.startKeyLogging(sources, kubernetes.maxParallel);
                }
                stop.checkNotStopped("setting up the capture");
                String name = pods.size() == 1 ? pods.get(0).name() : "pods";
                OutputTarget file = output(name);
                CaptureSession.Result result = capture(all, legs, file, noReassociate ? null
                        : RedirectPortsByInterface.byLeg(redirects, RedirectPorts.istioDefaults()), stop);
                decrypt.summarize(result.streams(), file.toString(), err);
                for (KubernetesCaptureSource source : sources) {
                    Map<String, String> bundle = new LinkedHashMap<>(source.bundle());
                    bundle.put("meshcap.txt", Version.userApplication() + System.lineSeparator());
                    err.println("meshcap: " + source.pod().ref() + ": rules, sockets and commands in "
                            + MetadataBundle.write(file.file() != null ? file.file() : defaultMetadataAnchor(name),
                                    source.pod().ref().toString(), bundle));
                }
                return finish(result, file);
            }
        }
    }

    private static Map<String, KubernetesCaptureSource> byTarget(List<KubernetesCaptureSource> sources,
            Map<String, KubernetesCaptureSource> into) {
        sources.forEach(source -> into.put(source.pod().ref().toString(), source));
        return into;
    }

    private OptionalLong givenProxyUid() {
        return proxyUid == null ? OptionalLong.empty() : OptionalLong.of(proxyUid);
    }

    /** The values the filters are built from: what discovery found, overridden by flags; notes on stderr. */
    private FilterInputs inputs(List<Preset> presets, TargetFacts facts) {
        PrintWriter err = spec.commandLine().getErr();
        facts.notes().forEach(note -> err.println("meshcap: note: " + facts.name() + ": " + note));
        FilterInputs inputs = filterOptions.inputs(err, facts);
        FilterNotes.of(presets, inputs).print(err);
        return inputs;
    }

    /**
     * The REDIRECT ports to undo, or null with --no-reassociate: the outbound port the filters use (rules or flag)
     * and the inbound port the rules name (Istio's default when they name none).
     */
    private RedirectPorts redirect(FilterInputs inputs, Integer inboundPort) {
        return noReassociate ? null : RedirectPorts.of(inputs.outboundPort(), inboundPort);
    }

    private CaptureSession.Result capture(CaptureSource source, List<LegPlan> legs, OutputTarget file,
            RedirectPortsByInterface redirect, StopSignal stop) throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        return new CaptureSession(source, err, System.console() != null)
                .withTlsKeyLogs(tlsKeyLog.files)
                .streamingTo(liveStream(file, redirect, err))
                .run(legs, file, duration, keepLegs, redirect, stop, null);
    }

    /** The live stream {@code -o -} or {@code --live} asks for, or null. */
    private LiveStream liveStream(OutputTarget file, RedirectPortsByInterface redirect, PrintWriter err) {
        Duration window = reorderWindow != null ? reorderWindow : REORDER_WINDOW;
        if (toStdout()) {
            return LiveStream.to(file, window, redirect, err);
        }
        if (live == null) {
            return null;
        }
        if (!STDOUT.equals(live)) {
            err.println("meshcap: the live stream waits for a reader to open " + live + " (e.g. wireshark -k -i "
                    + live + ")");
        }
        return LiveStream.to(OutputTarget.of(live), window, redirect, err);
    }

    private static int finish(CaptureSession.Result result, OutputTarget file) {
        if (result.live() != null && result.live().readerGone() != null) {
            throw MeshcapException.failure("the capture stopped because the live stream's reader went away ("
                    + result.live().readerGone() + "); " + (file.file() == null ? "everything until then was streamed"
                            : file + " holds what was captured until then"));
        }
        if (result.anyLegFailed()) {
            throw MeshcapException.failure("a leg failed (see above); " + file + " holds what was captured");
        }
        return 0;
    }

    /** Where the capture goes: -o, or a name made from the target and the time in the current directory. */
    private OutputTarget output(String target) {
        return toStdout() ? OutputTarget.of(STDOUT) : OutputTarget.file(output != null ? output : defaultOutput(target));
    }

    /** Where a streamed capture keeps its pods' metadata: {@code meshcap-TARGET-TIME.meta/} in meshcap's cache. */
    private static Path defaultMetadataAnchor(String target) {
        String file = defaultOutput(target).toString();
        return MetadataBundle.streamedCaptures(System.getenv(), Path.of(System.getProperty("user.home")))
                .resolve(file.substring(0, file.length() - ".pcapng".length()));
    }

    private static Path defaultOutput(String target) {
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("meshcap-" + target.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + time + ".pcapng");
    }
}
