package io.meshcap.lab;

import io.meshcap.sys.CommandRunner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** up is idempotent and honours its options; down leaves nothing behind and can be repeated. */
class LabLifecycleTest {

    private static final int CUSTOM_UID = 201507;
    private static final int CUSTOM_PORT = 7070;

    @Test
    void upTwiceKeepsTheSameLabAndDownRemovesEverything() throws IOException {
        LabConfig config = LabConfig.defaults().withName(LabFixture.uniqueName()).withProxyUid(CUSTOM_UID)
                .withAppPorts(List.of(CUSTOM_PORT));
        Lab lab = Lab.of(config);
        Map<LabRole, Long> pids;
        LabFixture.own(config.name());
        try {
            LabStatus first = lab.up();
            assertTrue(first.up(), first::toString);
            pids = first.processes();
            assertEquals(CUSTOM_UID, uid(pids.get(LabRole.SIDECAR)), "the sidecar runs as the proxy uid");
            assertEquals(0, uid(pids.get(LabRole.APP)), "the app runs as root, so its connections are redirected");

            LabStatus second = lab.up();
            assertTrue(second.up());
            assertEquals(pids, second.processes(), "a second up keeps the running processes");

            Ledger ledger = lab.traffic(1, 1);
            assertTrue(ledger.allVerified(), ledger::toJson);
            assertTrue(ledger.connections().stream().allMatch(entry -> entry.appPort() == CUSTOM_PORT));

            MeshcapException conflict = assertThrows(MeshcapException.class,
                    () -> Lab.of(config.withIpv6(true)).up());
            assertTrue(conflict.getMessage().contains("lab down --name " + config.name()), conflict.getMessage());
        } finally {
            lab.down();
            LabFixture.disown(config.name());
        }

        LabStatus after = lab.status();
        assertTrue(after.gone(), after::toString);
        List<String> namespaces = Namespaces.existing();
        assertFalse(namespaces.contains(lab.topology().podNamespace()));
        assertFalse(namespaces.contains(lab.topology().meshNamespace()));
        for (long pid : pids.values()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " is gone");
        }
        String hostLinks = CommandRunner.check("ip link", List.of("ip", "-o", "link", "show")).stdout();
        assertFalse(hostLinks.contains(LabTopology.MESH_INTERFACE), "no veth end in the host namespace");
        assertFalse(Files.exists(RunDirectory.of(config.name()).path()));

        lab.down();
        assertTrue(lab.status().gone(), "down is safe to repeat");
    }

    @Test
    void trafficOnALabThatIsNotUpSaysHowToBringItUp() {
        Lab lab = Lab.of(LabConfig.defaults().withName(LabFixture.uniqueName()));
        MeshcapException failure = assertThrows(MeshcapException.class, () -> lab.traffic(1, 1));
        assertEquals(MeshcapException.Kind.FAILURE, failure.kind());
        assertTrue(failure.getMessage().contains("meshcap lab up --name " + lab.config().name()),
                failure.getMessage());
    }

    private static int uid(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.split("\\s+")[2]);
            }
        }
        throw new IOException("no Uid line for pid " + pid);
    }
}
