package io.meshcap.capture.k8s;

import static io.meshcap.capture.k8s.MockCluster.NAMESPACE;
import static io.meshcap.capture.k8s.MockCluster.POD;
import static io.meshcap.reassoc.Packets.ACK;
import static io.meshcap.reassoc.Packets.SYN;
import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.cli.CliRun;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.reassoc.FlowEndpoint;
import io.meshcap.reassoc.Packets;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code meshcap capture --pod} builds the interception model from the rules read inside the pod, as the local
 * path does: a pod whose iptables-save redirects outbound to 15101 and exempts uid 201507 (the seed's rules,
 * with another outbound port) gets filters on 15101 and re-association of 127.0.0.1:15101, whatever Istio's
 * defaults and the API's runAsUser (1337 here) say.
 */
class PodRulesCaptureTest extends AgainstMockCluster {

    private static final int OUTBOUND_PORT = 15101;
    private static final String COUNTS = "3 packets captured\n3 packets received by filter\n0 packets dropped by kernel\n";
    /** The pod's sockets as ss -Htlnupe prints them: envoy as uid 201507, the app as uid 1000. */
    private static final String SOCKETS = String.join("\n",
            "tcp LISTEN 0 4096 0.0.0.0:15101 0.0.0.0:* users:((\"envoy\",pid=20,fd=40)) uid:201507 ino:1 sk:1 <->",
            "tcp LISTEN 0 4096 0.0.0.0:15006 0.0.0.0:* users:((\"envoy\",pid=20,fd=41)) uid:201507 ino:2 sk:2 <->",
            "tcp LISTEN 0 4096 0.0.0.0:15021 0.0.0.0:* users:((\"envoy\",pid=20,fd=42)) uid:201507 ino:3 sk:3 <->",
            "tcp LISTEN 0 4096 127.0.0.1:15000 0.0.0.0:* users:((\"envoy\",pid=20,fd=18)) uid:201507 ino:4 sk:4 <->",
            "tcp LISTEN 0 128 *:9080 *:* users:((\"java\",pid=7,fd=11)) uid:1000 ino:5 sk:5 <->",
            "udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* users:((\"java\",pid=7,fd=12)) uid:1000 ino:6 sk:6 <->", "");

    static String seedRulesWithOutboundPort(int port) throws IOException {
        try (InputStream in = PodRulesCaptureTest.class.getResourceAsStream("/rules/seed-uid201507.iptables-save")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("--to-ports 15001", "--to-ports " + port);
        }
    }

    private void privilegedPod(boolean declaresPorts) {
        var pod = MockCluster.privilegedProxyPod();
        if (!declaresPorts) {
            pod = pod.editSpec().editFirstContainer().withPorts(List.of()).endContainer().endSpec();
        }
        cluster.create(pod.build());
    }

    private void scriptSetUpAndFacts() throws IOException {
        cluster.tcpdumpIn(POD, PROXY);
        cluster.factsReturn(POD, PROXY, Map.of(
                PodFacts.IPTABLES_SAVE, seedRulesWithOutboundPort(OUTBOUND_PORT),
                PodFacts.PORT_RANGE, "32768\t60999\n",
                PodFacts.LISTENING_SOCKETS, SOCKETS));
    }

    private CliRun printPlan(String preset) {
        return CliRun.of("capture", preset, "--pod", POD, "--kubeconfig", kubeconfig.toString(), "--print-plan");
    }

    @Test
    void thePlanUsesTheOutboundPortAndProxyUidOfThePodsRules() throws IOException {
        privilegedPod(true);
        scriptSetUpAndFacts();

        CliRun plan = printPlan("outbound-plain");

        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.out().contains("dst port " + OUTBOUND_PORT), plan.out());
        assertFalse(plan.out().contains("15001"), "Istio's default port is not assumed: " + plan.out());
        assertTrue(plan.out().contains("re-associate: yes, undoing the REDIRECT to ports " + OUTBOUND_PORT
                + " (outbound) and 15006 (inbound)"), plan.out());
        assertTrue(plan.err().contains("note: " + NAMESPACE + "/" + POD + ": from the redirect rules in " + NAMESPACE + "/"
                + POD + ": outbound redirect port " + OUTBOUND_PORT + ", inbound redirect port 15006, proxy uid 201507"),
                plan.err());
    }

    @Test
    void withoutDeclaredPortsTheAppPortsAreWhatListensOutsideTheRulesProxyUid() throws IOException {
        privilegedPod(false);
        scriptSetUpAndFacts();

        CliRun plan = printPlan("inbound-mtls");

        assertEquals(0, plan.exitCode(), plan.toString());
        // 15101, 15006 and 15021 are uid 201507's (the rules' proxy uid, not the API's 1337); 15000 is loopback only.
        assertTrue(plan.out().contains("dst port 9080)"), plan.out());
        assertFalse(plan.out().contains("15021"), plan.out());
        assertTrue(plan.err().contains("application ports from what listens in the pod outside the proxy uid 201507"),
                plan.err());
    }

    @Test
    void theLoLegIsReassociatedAcrossThePodsOwnRedirectPort() throws Exception {
        privilegedPod(true);
        scriptSetUpAndFacts();
        CliRun plan = printPlan("outbound-plain");
        assertEquals(0, plan.exitCode(), plan.toString());
        // The pod's own redirect port 15101 on both loopbacks, replies to its ephemeral range on both addresses.
        String filter = "(dst host (127.0.0.1 or ::1) and dst port 15101) or "
                + "(dst host (10.244.1.17 or fd00:10:244:1::11) and dst portrange 32768-60999)";
        assertEquals(List.of(filter), filters(plan));

        scriptSetUpAndFacts();
        cluster.captureStreams(POD, PROXY, ExpectedArgv.capture("lo", filter), "lo", redirectedCall(), COUNTS, 0);
        Path out = temp.resolve("pod.pcapng");

        CliRun run = CliRun.of("capture", "outbound-plain", "--pod", POD, "--kubeconfig", kubeconfig.toString(),
                "-o", out.toString(), "--duration", "20s");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of(List.of("10.96.0.42", "9080"), List.of("10.244.1.17", "40000"),
                        List.of("10.96.0.42", "9080")),
                Tshark.fields(out, "tcp", "ip.dst", "tcp.dstport"), "127.0.0.1:15101 is undone");
        assertTrue(run.err().contains("re-associated 2 packets of 1 redirected connection"), run.err());
    }

    @Test
    void withASelectorEachPodsLoLegIsReassociatedAcrossThatPodsOwnPort() throws Exception {
        String other = "reviews-v2-5b1f";
        String otherIp = "10.244.2.9";
        privilegedPod(true);
        cluster.create(MockCluster.privilegedProxyPod().editMetadata().withName(other).endMetadata()
                .editStatus().withPodIP(otherIp).withPodIPs().addNewPodIP(otherIp).endStatus().build());
        // Both pods set up twice: once for the plan, once for the capture.
        for (int run = 0; run < 2; run++) {
            scriptSetUpAndFacts();
            cluster.tcpdumpIn(other, PROXY);
            cluster.factsReturn(other, PROXY, Map.of(PodFacts.IPTABLES_SAVE, seedRulesWithOutboundPort(15001),
                    PodFacts.PORT_RANGE, "32768\t60999\n"));
        }
        CliRun plan = CliRun.of("capture", "outbound-plain", "-l", "app=reviews", "--kubeconfig", kubeconfig.toString(),
                "--print-plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        // Each pod's own outbound port (15101, 15001) and addresses (the second pod is IPv4 only).
        List<String> expected = List.of(
                "(dst host (127.0.0.1 or ::1) and dst port 15101) or "
                        + "(dst host (10.244.1.17 or fd00:10:244:1::11) and dst portrange 32768-60999)",
                "(dst host 127.0.0.1 and dst port 15001) or (dst host 10.244.2.9 and dst portrange 32768-60999)");
        assertEquals(expected, filters(plan));

        scriptCapture(POD, expected.get(0), redirectedCall("10.244.1.17", OUTBOUND_PORT, "a.pcap"));
        scriptCapture(other, expected.get(1), redirectedCall(otherIp, 15001, "b.pcap"));
        Path out = temp.resolve("pods.pcapng");
        CliRun run = CliRun.of("capture", "outbound-plain", "-l", "app=reviews", "--kubeconfig", kubeconfig.toString(),
                "-o", out.toString(), "--duration", "20s");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of(), Tshark.fields(out, "ip.dst == 127.0.0.1", "frame.interface_name", "tcp.dstport"),
                "each pod's own redirect port is undone");
        assertEquals(4, Tshark.fields(out, "ip.dst == 10.96.0.42 && tcp.dstport == 9080", "frame.number").size());
        assertTrue(run.err().contains("re-associated 4 packets of 2 redirected connections"), run.err());
    }

    /** The filter lines of a printed plan. */
    private static List<String> filters(CliRun plan) {
        return plan.out().lines().filter(l -> l.strip().startsWith("filter:"))
                .map(l -> l.strip().substring("filter:".length()).strip()).toList();
    }

    private void scriptCapture(String pod, String filter, byte[] stream) {
        cluster.captureStreams(pod, PROXY, ExpectedArgv.capture("lo", filter), "lo", stream, COUNTS, 0);
    }

    private byte[] redirectedCall() throws IOException {
        return redirectedCall("10.244.1.17", OUTBOUND_PORT, "lo.pcap");
    }

    /** A pcap of one call the app at {@code appIp} made to 10.96.0.42:9080, as lo shows it after the REDIRECT. */
    private byte[] redirectedCall(String appIp, int redirectPort, String name) throws IOException {
        FlowEndpoint app = ep(appIp, 40000);
        FlowEndpoint redirected = ep("127.0.0.1", redirectPort);
        FlowEndpoint original = ep("10.96.0.42", 9080);
        Path file = temp.resolve(name);
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAP, "test")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 262144, "lo", null));
            writer.write(Packets.record(0, 1_000, link(LinkType.EN10MB, ip(app, redirected, SYN, 1000, 0))));
            writer.write(Packets.record(0, 1_010, link(LinkType.EN10MB, ip(original, app, SYN | ACK, 5000, 1001))));
            writer.write(Packets.record(0, 1_020, link(LinkType.EN10MB, ip(app, redirected, ACK, 1001, 5001))));
        }
        return Files.readAllBytes(file);
    }
}
