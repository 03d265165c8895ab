package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.net.Addresses;
import io.meshcap.plan.TargetFacts;
import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.ScratchNamespace;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Discovery in namespaces of the test's own without Istio's rules: what it finds (a pod address on eth0 beside its
 * link-local one, a listening application) and, in a bare namespace, each note that says what it could not find and
 * which flag gives it.
 */
class LocalDiscoveryScratchTest {

    @Test
    void aBareNamespaceGetsANoteForEachFactItLacksNamingTheFlagThatGivesIt() {
        try (ScratchNamespace bare = ScratchNamespace.create("mcdisc", 65536)) {
            TargetFacts facts = LocalDiscovery.discover(NetworkNamespace.named(bare.name()));

            assertEquals(List.of(), facts.addresses());
            assertEquals(List.of(), facts.appPorts());
            assertEquals(List.of(
                    "no Istio interception rules in " + bare.name(),
                    "assuming proxy uid 1337 (Istio's default) for the proxy's sockets",
                    "no global address on eth0 in " + bare.name() + " (Device \"eth0\" does not exist.); give"
                            + " --pod-ip",
                    "no application listening outside the proxy uid 1337; give --port for the inbound legs"),
                    facts.notes());
        }
    }

    @Test
    void thePodAddressIsTheGlobalOneOnEth0AndAListenerIsAnApplicationPort() throws Exception {
        try (ScratchNamespace pod = ScratchNamespace.create("mcdisc", 65536);
             ScratchNamespace peer = ScratchNamespace.create("mcdisc", 65536)) {
            ScratchNamespace.connect(pod, "198.18.7.2/24", peer, "198.18.7.1/24");
            // The link-local IPv6 address the kernel gives eth0 has scope link: not the pod's address.
            pod.run("ip", "addr", "add", "fe80::2/64", "dev", "eth0");
            try (NamespaceThread inside = NamespaceThread.enter(NetworkNamespace.named(pod.name()));
                 ServerSocket app = inside.call(() -> new ServerSocket(8086, 1, InetAddress.getByName("0.0.0.0")))) {
                TargetFacts facts = LocalDiscovery.discover(NetworkNamespace.named(pod.name()));

                assertEquals(List.of("198.18.7.2"), facts.addresses().stream().map(Addresses::format).toList());
                assertEquals(List.of(8086), facts.appPorts());
                assertTrue(facts.notes().stream().noneMatch(note -> note.contains("--pod-ip")
                        || note.contains("--port")), facts.notes().toString());
            }
        }
    }

    @Test
    void ipOutputThatIsNotJsonIsRefusedNamingTheCommand() {
        MeshcapException e = assertThrows(MeshcapException.class, () -> LocalDiscovery.addresses("Device not found"));
        assertTrue(e.getMessage().startsWith("cannot parse the output of ip -j addr: Unrecognized token 'Device'"),
                e.getMessage());
    }
}
