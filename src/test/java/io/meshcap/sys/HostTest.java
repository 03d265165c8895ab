package io.meshcap.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshcap.MeshcapException;
import io.meshcap.capture.local.LocalCaptureTools;
import io.meshcap.lab.Lab;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Missing tools are reported up front: all of them in one line, with the one command that installs them. */
class HostTest {

    /** A machine where only these tools are installed. */
    private static Function<String, Optional<String>> machineWith(String... tools) {
        Set<String> installed = Set.of(tools);
        return tool -> installed.contains(tool) ? Optional.of("/usr/bin/" + tool) : Optional.empty();
    }

    @Test
    void aLaptopWithoutTheLabsToolsIsToldEveryMissingOneAndTheInstallCommand() {
        MeshcapException e = assertThrows(MeshcapException.class,
                () -> Host.requireTools("the lab", Lab.TOOLS, machineWith("setsid")));
        assertEquals("the lab needs ip, iptables, iptables-restore and setpriv, which are not installed; install them"
                + " with: apt-get install -y iproute2 iptables util-linux", e.getMessage());
        assertEquals(1, e.exitCode());
    }

    @Test
    void aLocalCaptureNamesTcpdumpAloneWhenOnlyTcpdumpIsMissing() {
        MeshcapException e = assertThrows(MeshcapException.class, () -> Host.requireTools("a capture on this machine",
                LocalCaptureTools.needed(true), machineWith("nsenter", "ip", "ss")));
        assertEquals("a capture on this machine needs tcpdump, which is not installed; install it with: "
                + "apt-get install -y tcpdump", e.getMessage());
    }

    @Test
    void theDemoAsksForTheLabsAndTheCapturesToolsInOneCommand() {
        List<String> demo = Stream.concat(Lab.TOOLS.stream(), LocalCaptureTools.needed(true).stream()).toList();
        MeshcapException e = assertThrows(MeshcapException.class,
                () -> Host.requireTools("the demo", demo, machineWith("setpriv", "setsid", "nsenter")));
        assertEquals("the demo needs ip, iptables, iptables-restore, ss and tcpdump, which are not installed; install"
                + " them with: apt-get install -y iproute2 iptables tcpdump", e.getMessage());
    }

    @Test
    void withEveryToolInstalledNothingIsSaid() {
        Host.requireTools("a capture on this machine", LocalCaptureTools.needed(false), machineWith("nsenter", "ip", "ss"));
    }
}
