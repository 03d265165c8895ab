package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.DEBUG;
import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stderr;
import static io.meshcap.capture.k8s.MockCluster.stdout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.CaptureSession;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.MultiTargetSource;
import io.meshcap.capture.StopSignal;
import io.meshcap.output.OutputTarget;
import io.meshcap.testing.Tshark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C while a --decrypt capture runs (a stop request, which is what meshcap's SIGINT handler raises): the legs
 * are stopped, the sidecar's keys are still read back and written into the file, and the EnvoyFilter and the key
 * file are removed, through the same session the command runs.
 */
@EnableKubernetesMockClient(crud = true)
class DecryptStopTest {

    private static final String KEY_FILE = "/etc/istio/proxy/meshcap-t3st01-tls-keys.log";
    private static final String FILTERS = "/apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters";
    private static final long TCPDUMP_PID = 9001;
    // The leg flushes and ends this long after it starts (as tcpdump does once stopped): the stop comes well before.
    private static final long LEG_ENDS_AFTER_MS = 4000;
    private static final String RANDOM = "7c".repeat(32);
    private static final String KEYS = "CLIENT_TRAFFIC_SECRET_0 " + RANDOM + " " + "3d".repeat(32) + "\n";
    private static final LegPlan LEG = new LegPlan(NAMESPACE + "/" + POD, "eth0", "inbound-mtls", "tcp port 9080",
            false, CaptureLimits.none(), Map.of());

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path temp;

    @Test
    void aStopWhileCapturingStillPutsTheKeysInTheFileAndRemovesTheFilter() throws Exception {
        MockCluster cluster = new MockCluster(server, client);
        byte[] pcap = MockCluster.resource(PcapFiles.LO_SMALL);
        cluster.create(MockCluster.targetWithRunningDebugContainer());
        cluster.acceptEphemeralPatch(2);
        cluster.execReturns(POD, DEBUG, CaptureArgv.probe(), "tcpdump version 4.99.4\n", 0);
        cluster.execReturns(POD, DEBUG, CaptureArgv.release(), "", 0);
        cluster.sidecarLogsKeys(POD, MockCluster.RUN_ID, "/envoy/config-dump-reviews-key-log.json", KEYS);
        int cut = PcapFiles.recordEnds(pcap).get(4);
        cluster.exec(POD, DEBUG, CaptureArgv.capture(LEG))
                .andEmit(stderr("meshcap-pid " + TCPDUMP_PID + "\ntcpdump: listening on eth0\n"))
                .waitFor(5).andEmit(stdout(Arrays.copyOfRange(pcap, 0, cut)))
                .waitFor(5).andEmit(MockCluster.stdoutAfter(LEG_ENDS_AFTER_MS, Arrays.copyOfRange(pcap, cut,
                        pcap.length)))
                .waitFor(5).andEmit(MockCluster.stderrAfter(LEG_ENDS_AFTER_MS + 5, "0 packets dropped by kernel\n"))
                .waitFor(5).andEmit(MockCluster.successAfter(LEG_ENDS_AFTER_MS + 10))
                .done().once();
        cluster.execReturns(POD, DEBUG, CaptureArgv.stop(TCPDUMP_PID), "", 0);
        cluster.requests();
        StopSignal stop = StopSignal.manual();
        List<String> notes = new ArrayList<>();
        ClusterRun run = new ClusterRun(client, LaunchSettings.of(Strategy.EPHEMERAL).withRunId(MockCluster.RUN_ID)
                .withReadyTimeout(Duration.ofSeconds(30)).withDecryption(Duration.ofSeconds(30)), notes::add, stop);
        PodInfo pod = new PodDiscovery(client).get(new PodRef(NAMESPACE, POD));
        StringWriter err = new StringWriter();
        Path out = temp.resolve("stopped.pcapng");

        KubernetesCaptureSource source = KubernetesCaptureSource.open(run, pod, Optional.empty());
        PodSources.startKeyLogging(List.of(source), 1);
        CompletableFuture<CaptureSession.Result> capturing = CompletableFuture.supplyAsync(() -> {
            try (MultiTargetSource all = new MultiTargetSource(Map.of(NAMESPACE + "/" + POD, source))) {
                return new CaptureSession(all, new PrintWriter(err, true), false)
                        .run(List.of(LEG), OutputTarget.file(out), null, false, null, stop, null);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!err.toString().contains("meshcap: capturing") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        stop.requestStop();
        capturing.get(60, TimeUnit.SECONDS);

        List<RecordedRequest> seen = cluster.requests();
        List<List<String>> execs = seen.stream().filter(MockCluster::isExec).map(MockCluster::commandOf).toList();
        assertTrue(execs.contains(List.of("kill", "-INT", "9001")), "the leg was stopped, not ended by itself: "
                + execs);
        String capinfos = Tshark.run("capinfos", out.toString());
        assertTrue(capinfos.lines().anyMatch(l -> l.matches("Number of decryption secrets in file:\\s+1")), capinfos);
        assertTrue(new String(Files.readAllBytes(out), StandardCharsets.US_ASCII).contains(KEYS), err.toString());
        assertEquals(20, Tshark.count(out), "what the leg sent, with its flush after the stop");
        assertEquals(List.of("POST", "DELETE"), seen.stream().filter(r -> r.getPath().startsWith(FILTERS)
                && !r.getMethod().equals("GET")).map(RecordedRequest::getMethod).toList());
        assertEquals(List.of("rm", "-f", KEY_FILE), execs.get(execs.size() - 2), "then the release: " + execs);
        assertEquals(List.of(), client.genericKubernetesResources(KeyLogFilterSpec.ENVOY_FILTER)
                .inNamespace(NAMESPACE).list().getItems());
    }
}
