package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.cli.CliRun;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.ReadBack;
import io.meshcap.testing.LiveViewer;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap capture --pod ... --decrypt} from the command line against the mock API server, with the ephemeral
 * strategy: the sidecar's keys end up in the merged file (capinfos counts its decryption secrets), and the
 * EnvoyFilter is deleted whether the capture succeeds or a leg fails.
 */
class DecryptCaptureCliTest extends AgainstMockCluster {

    private static final String FILTERS = "/apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters";
    private static final String INBOUND_FILTER = "(dst host (10.244.1.17 or fd00:10:244:1::11) and dst port 9080) or "
            + "(src host (10.244.1.17 or fd00:10:244:1::11) and src port 9080)";
    private static final String RANDOM = "5e".repeat(32);
    /** How long the live stream's capture runs before its packets come and it ends. */
    private static final long CAPTURE_MS = 2500;
    private static final String KEYS = "CLIENT_TRAFFIC_SECRET_0 " + RANDOM + " " + "1a".repeat(32) + "\n"
            + "SERVER_TRAFFIC_SECRET_0 " + RANDOM + " " + "2b".repeat(32) + "\n";

    private final byte[] pcap = MockCluster.resource(PcapFiles.LO_SMALL);

    @BeforeEach
    void setUp() throws IOException {
        cluster.create(MockCluster.targetPod().build());
        server.expect().patch().withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD + "/ephemeralcontainers")
                .andReturn(200, MockCluster.targetPod().build()).once();
    }

    /**
     * The debug container's tools, facts and release, the capture exec exiting {@code captureExit}; istio-proxy
     * logging keys for the run that {@code container} is named after.
     */
    private void scriptPod(String pod, String container, int captureExit) {
        cluster.tcpdumpIn(pod, container);
        cluster.factsReturn(pod, container, Map.of(PodFacts.PORT_RANGE, "32768\t60999\n"));
        cluster.captureStreams(pod, container, ExpectedArgv.capture("eth0", INBOUND_FILTER), "eth0", pcap,
                captureExit == 0 ? "20 packets captured\n0 packets dropped by kernel\n"
                        : "tcpdump: pcap_loop: The interface disappeared\n", captureExit);
        cluster.execReturns(pod, container, ExpectedArgv.release(), "", 0);
        cluster.sidecarLogsKeys(pod, container.substring("meshcap-".length()),
                "/envoy/config-dump-reviews-key-log.json", KEYS);
    }

    /**
     * As {@link #scriptPod}, for a capture that runs a few seconds (its packets come 2.5 s after it listens), with the
     * sidecar's key file read while it runs: from its start (the keys), then from their end on (nothing new).
     */
    private void scriptLivePod(String pod, String container) {
        cluster.tcpdumpIn(pod, container);
        cluster.factsReturn(pod, container, Map.of(PodFacts.PORT_RANGE, "32768\t60999\n"));
        cluster.exec(pod, container, ExpectedArgv.capture("eth0", INBOUND_FILTER))
                .andEmit(stderr("meshcap-pid 9001\ntcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(MockCluster.stdoutAfter(CAPTURE_MS, pcap))
                // Each frame's delay counts from the start of the exec.
                .waitFor(5).andEmit(MockCluster.stderrAfter(CAPTURE_MS + 5, "20 packets captured\n0 packets dropped"
                        + " by kernel\n"))
                .waitFor(5).andEmit(MockCluster.successAfter(CAPTURE_MS + 10))
                .done().once();
        cluster.execReturns(pod, container, ExpectedArgv.release(), "", 0);
        String runId = container.substring("meshcap-".length());
        cluster.sidecarLogsKeys(pod, runId, "/envoy/config-dump-reviews-key-log.json", KEYS);
        String keyFile = "/etc/istio/proxy/meshcap-" + runId + "-tls-keys.log";
        cluster.execReturns(pod, PROXY, List.of("tail", "-c", "+1", keyFile), KEYS, 0);
        cluster.exec(pod, PROXY, List.of("tail", "-c", "+" + (KEYS.length() + 1), keyFile))
                .andEmit(new StatusStreamMessage(0)).done().always();
    }

    /** A whole run and what the API saw of it. */
    private record Run(CliRun cli, FakeKubelet kubelet) {
    }

    /** {@code capture inbound-mtls --pod ... --decrypt} into {@code out}, the capture exec exiting {@code captureExit}. */
    private Run capture(Path out, int captureExit) throws InterruptedException {
        StringWriter err = new StringWriter();
        FakeKubelet kubelet = new FakeKubelet(cluster, err, (pod, container) -> scriptPod(pod, container, captureExit));
        try (kubelet) {
            return new Run(CliRun.of(err, "capture", "inbound-mtls", "--pod", POD, "--kubeconfig",
                    kubeconfig.toString(), "-o", out.toString(), "--duration", "30s", "--strategy", "ephemeral",
                    "--decrypt"), kubelet);
        }
    }

    private static List<String> filterChanges(List<RecordedRequest> log) {
        return log.stream().filter(r -> r.getPath().startsWith(FILTERS) && !r.getMethod().equals("GET"))
                .map(RecordedRequest::getMethod).toList();
    }

    @Test
    void theSidecarsKeysGoIntoTheFileAndTheFilterIsDeletedAfterwards() throws Exception {
        Path out = temp.resolve("decrypted.pcapng");
        Run both = capture(out, 0);
        CliRun run = both.cli();
        FakeKubelet kubelet = both.kubelet();

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(20, Tshark.count(out));
        assertTrue(new String(Files.readAllBytes(out), StandardCharsets.US_ASCII).contains(KEYS),
                "the sidecar's key lines, as it wrote them: " + run.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        String said = run.err();
        assertTrue(said.contains("holds 2 TLS key log lines: anyone who has it can read the encrypted connections in "
                + "it, so it is readable by its owner only (mode 0600)"), said);
        assertTrue(said.indexOf("decrypting: Envoy's configuration shows the key log on all 3 sockets")
                < said.indexOf("capturing"), said);
        String capinfos = Tshark.run("capinfos", out.toString());
        assertTrue(capinfos.lines().anyMatch(l -> l.matches("Number of decryption secrets in file:\\s+1")), capinfos);
        assertTrue(said.contains("meshcap: decryption: 0 of 0 TLS connections in " + out + " decrypted"), said);
        List<RecordedRequest> log = kubelet.log();
        assertEquals(List.of("POST", "DELETE"), filterChanges(log));
        List<String> execs = kubelet.execs();
        String keyFile = "/etc/istio/proxy/" + kubelet.ephemeralContainer() + "-tls-keys.log";
        assertTrue(execs.indexOf(POD + "/" + PROXY + ": [cat, " + keyFile + "]")
                > execs.indexOf(execs.stream().filter(e -> e.contains("tcpdump, --immediate-mode")).findFirst()
                        .orElseThrow()), "the keys are read after the capture: " + execs);
        assertTrue(execs.contains(POD + "/" + PROXY + ": [rm, -f, " + keyFile + "]"), execs.toString());
        assertEquals(List.of(), client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE)
                .list().getItems());
    }

    @Test
    void aLiveStreamReadsTheSidecarsKeyFileWhileCapturingAndCarriesItsKeysAheadOfThePackets() throws Exception {
        LiveViewer viewer = LiveViewer.start(temp);
        StringWriter err = new StringWriter();
        CliRun run;
        FakeKubelet kubelet = new FakeKubelet(cluster, err, this::scriptLivePod);
        try (kubelet) {
            run = CliRun.of(err, "capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(), "-o",
                    temp.resolve("complete.pcapng").toString(), "--live", viewer.pipe().toString(), "--duration", "30s",
                    "--strategy", "ephemeral", "--decrypt");
        }
        viewer.await(Duration.ofSeconds(30));

        assertEquals(0, run.exitCode(), run.toString());
        String keyFile = "/etc/istio/proxy/" + kubelet.ephemeralContainer() + "-tls-keys.log";
        List<String> tails = kubelet.execs().stream().filter(exec -> exec.startsWith(POD + "/" + PROXY + ": [tail"))
                .toList();
        assertTrue(tails.size() >= 2, "read once a second while capturing: " + tails);
        assertEquals(POD + "/" + PROXY + ": [tail, -c, +1, " + keyFile + "]", tails.get(0));
        assertTrue(tails.subList(1, tails.size()).stream().allMatch(tail -> tail.equals(POD + "/" + PROXY
                + ": [tail, -c, +" + (KEYS.length() + 1) + ", " + keyFile + "]")), "then from where it ended: " + tails);
        List<CaptureBlock> blocks = ReadBack.blocks(viewer.file());
        List<DecryptionSecrets> secrets = blocks.stream().filter(DecryptionSecrets.class::isInstance)
                .map(DecryptionSecrets.class::cast).toList();
        assertEquals(1, secrets.size(), "each key line once: " + blocks);
        assertEquals(KEYS, new String(secrets.get(0).secrets(), StandardCharsets.US_ASCII));
        assertTrue(blocks.indexOf(secrets.get(0)) < blocks.indexOf(blocks.stream().filter(CaptureRecord.class::isInstance)
                .findFirst().orElseThrow()), "the keys come before the packets");
        assertEquals(20, Tshark.count(viewer.file()));
        assertTrue(run.err().contains("meshcap: the live stream carried 2 TLS key log lines, each before the packets"
                + " that need it"), run.err());
        assertEquals(List.of("POST", "DELETE"), filterChanges(kubelet.log()));
    }

    @Test
    void printPlanWithDecryptShowsTheFilterItWouldApplyAndTheChecksAndAppliesNothing() throws Exception {
        StringWriter err = new StringWriter();
        CliRun run;
        FakeKubelet kubelet = new FakeKubelet(cluster, err, (pod, container) -> scriptPod(pod, container, 0));
        try (kubelet) {
            run = CliRun.of(err, "capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                    "--strategy", "ephemeral", "--decrypt", "--print-plan");
        }

        assertEquals(0, run.exitCode(), run.toString());
        String runId = kubelet.ephemeralContainer().substring("meshcap-".length());
        String plan = run.out();
        assertTrue(plan.contains("\ndecrypt: (--print-plan applies nothing)\n"
                + "  checked:  you may create and delete envoyfilters.networking.istio.io and exec into pods in namespace"
                + " shop (SelfSubjectAccessReview)\n"
                + "  checked:  Envoy's configuration (pilot-agent request GET config_dump in container istio-proxy) has"
                + " 2 inbound mTLS filter chains and 1 outbound mTLS cluster; cat runs there (to read the keys back)\n"
                + "  applies:  EnvoyFilter shop/meshcap-keylog-" + runId + "-" + POD + " (networking.istio.io/v1alpha3),"
                + " labels app.kubernetes.io/managed-by=meshcap,meshcap.io/run=" + runId + "\n"
                + "  selects:  the pods labelled app=reviews (workloadSelector); the key log's local_address_range"
                + " 10.244.1.17/32, fd00:10:244:1::11/128 keeps other replicas' keys out\n"
                + "  key log:  /etc/istio/proxy/meshcap-" + runId + "-tls-keys.log in container istio-proxy (in the"
                + " pod's memory), read while and after capturing, then removed\n"), plan);
        assertTrue(plan.contains("\n  waits:    until Envoy's configuration shows the key log on all 3 sockets, at most"
                + " 60 s (--decrypt-timeout)\n"), plan);
        List<RecordedRequest> log = kubelet.log();
        assertEquals(List.of(), filterChanges(log), "no EnvoyFilter created");
        assertEquals(List.of(), log.stream().filter(r -> r.getPath().startsWith(FILTERS)).toList(), "nor asked for");
        assertEquals(List.of(POD + "/" + PROXY + ": [pilot-agent, request, GET, config_dump]",
                POD + "/" + PROXY + ": [cat, /dev/null]"), kubelet.execs().stream()
                        .filter(exec -> exec.startsWith(POD + "/" + PROXY)).toList(), "only reads in istio-proxy");
    }

    @Test
    void aLegThatFailsStillEndsWithTheFilterDeleted() throws Exception {
        Path out = temp.resolve("failed.pcapng");
        Run both = capture(out, 1);
        CliRun run = both.cli();
        FakeKubelet kubelet = both.kubelet();

        assertEquals(1, run.exitCode(), run.toString());
        assertEquals(List.of("POST", "DELETE"), filterChanges(kubelet.log()));
        assertEquals(List.of(), client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER).inNamespace(NAMESPACE)
                .list().getItems());
    }

    @Test
    void withoutPermissionForEnvoyFiltersNothingIsCreatedInThePod() throws Exception {
        cluster.deny(new Permission("delete", Permission.ISTIO_NETWORKING, Permission.ENVOY_FILTERS, "", NAMESPACE));
        Run both = capture(temp.resolve("refused.pcapng"), 0);
        CliRun run = both.cli();
        FakeKubelet kubelet = both.kubelet();

        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("meshcap: pod shop/" + POD + ": forbidden: you may not delete envoyfilters.networking.istio.io in "
                + "namespace shop (the API server's answer to a SelfSubjectAccessReview, as kubectl auth can-i asks "
                + "it), which --decrypt needs; grant it (see examples/rbac.yaml, Role meshcap-decrypt) or leave "
                + "--decrypt out\n"), run.err());
        assertEquals(List.of(), kubelet.log().stream().filter(MockCluster::changesSomething).toList(),
                "no debug container, no filter, no exec");
        assertTrue(kubelet.log().stream().noneMatch(MockCluster::isExec));
    }

    @Test
    void decryptIsRefusedForACaptureOnThisMachineAndWithoutATarget() {
        CliRun local = CliRun.of("capture", "sidecar", "--netns", "meshcap-nowhere", "--decrypt");
        CliRun timeoutAlone = CliRun.of("capture", "sidecar", "--pod", POD, "--decrypt-timeout", "30s");

        assertEquals(2, local.exitCode(), local.toString());
        assertEquals("meshcap: --decrypt makes a cluster pod's sidecar log its TLS keys: give --pod or --selector; for"
                + " a capture on this machine, give the key log with --tls-keylog FILE\n", local.err());
        assertEquals(2, timeoutAlone.exitCode());
        assertEquals("meshcap: --decrypt-timeout goes with --decrypt\n", timeoutAlone.err());
    }
}
