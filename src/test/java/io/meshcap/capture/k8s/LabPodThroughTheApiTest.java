package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.capture.k8s.MockCluster.stdout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.capture.TcpdumpArgv;
import io.meshcap.cli.CliRun;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.LabTopology;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code capture inbound-mtls --pod} end to end on the lab's real data path: the API says where the pod is, the
 * in-pod facts are the lab pod's own rules, sockets and port range, and the leg's exec stream carries what the
 * very tcpdump command meshcap sends recorded on the lab pod's eth0 while calls went in and out. The merged file
 * must hold exactly the inbound calls the ledger saw, nothing of the outbound ones.
 */
class LabPodThroughTheApiTest extends AgainstMockCluster {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    private NetworkNamespace pod;

    @BeforeEach
    void setUp() throws IOException {
        cluster.create(MockCluster.privilegedProxyPod()
                .editSpec().editFirstContainer().withPorts().addNewPort().withContainerPort(8080).endPort()
                .addNewPort().withContainerPort(9080).endPort().endContainer().endSpec()
                .editStatus().withPodIP(LabTopology.POD_IPV4).withPodIPs().addNewPodIP(LabTopology.POD_IPV4).endStatus()
                .build());
        pod = NetworkNamespace.named(LAB.topology().podNamespace());
    }

    /** What each in-pod fact command prints inside the lab pod, as the capture helper would read it. */
    private Map<String, String> labPodFacts() {
        Map<String, String> outputs = new LinkedHashMap<>();
        CaptureArgv.facts().forEach((name, argv) -> {
            CommandRunner.Result result = CommandRunner.run(pod.enter(argv));
            outputs.put(name, result.ok() ? result.stdout() : "");
        });
        return outputs;
    }

    private void helperReads(Map<String, String> facts) {
        cluster.tcpdumpIn(POD, PROXY);
        cluster.factsReturn(POD, PROXY, facts);
    }

    @Test
    void theMergedFileHoldsExactlyTheInboundCallsOfTheLabPod() throws Exception {
        Map<String, String> facts = labPodFacts();
        helperReads(facts);
        CliRun plan = CliRun.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "--print-plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        String filter = plan.out().lines().filter(l -> l.strip().startsWith("filter:")).findFirst().orElseThrow()
                .strip().substring("filter:".length()).strip();
        assertEquals("(dst host 198.18.0.2 and dst port (8080 or 9080)) or (src host 198.18.0.2 and src port (8080 or"
                + " 9080))", filter);

        LegPlan leg = new LegPlan(NAMESPACE + "/" + POD, "eth0", "inbound-mtls", filter, false, CaptureLimits.none(),
                Map.of());
        Path recorded = temp.resolve("eth0.pcap");
        Path said = temp.resolve("tcpdump.err");
        Ledger ledger = recordWhileCalling(leg, recorded, said);

        helperReads(facts);
        cluster.captureStreams(POD, PROXY, CaptureArgv.capture(leg), "eth0", Files.readAllBytes(recorded),
                Files.readString(said), 0);
        Path out = temp.resolve("pod.pcapng");
        CliRun run = CliRun.of("capture", "inbound-mtls", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "-o", out.toString(), "--duration", "20s");
        assertEquals(0, run.exitCode(), run.toString());

        Set<String> expected = ledger.of(LedgerEntry.Kind.INBOUND).stream()
                .map(entry -> entry.client() + " > " + entry.destination()).collect(Collectors.toSet());
        Set<String> captured = Tshark.fields(out, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.src", "tcp.srcport",
                "ip.dst", "tcp.dstport").stream()
                .map(f -> f.get(0) + ":" + f.get(1) + " > " + f.get(2) + ":" + f.get(3)).collect(Collectors.toSet());
        assertEquals(expected, captured, "every inbound call, and nothing of the outbound ones");
        assertEquals(List.of(List.of(POD + "/eth0:inbound-mtls")),
                Tshark.fields(out, "frame.number == 1", "frame.interface_name"));
        assertTrue(run.err().contains("0 dropped"), run.err());
    }

    /** Runs the leg's own tcpdump argv in the lab pod while calls go in and out; its stdout is the leg's stream. */
    private Ledger recordWhileCalling(LegPlan leg, Path recorded, Path said) throws Exception {
        Process tcpdump = new ProcessBuilder(pod.enter(TcpdumpArgv.of(leg)))
                .redirectOutput(recorded.toFile()).redirectError(said.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(said, StandardCharsets.UTF_8).contains("listening on")) {
                assertTrue(tcpdump.isAlive() && System.nanoTime() < deadline, Files.readString(said));
                Thread.sleep(20);
            }
            Ledger ledger = LAB.traffic(3, 3);
            assertTrue(ledger.allVerified(), ledger::toJson);
            // tcpdump -U writes each packet as it reads it; give it a moment to read the last ones.
            Thread.sleep(500);
            return ledger;
        } finally {
            tcpdump.destroy();
            assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS), "tcpdump ends on SIGTERM");
        }
    }
}
