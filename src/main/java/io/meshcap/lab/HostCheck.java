package io.meshcap.lab;

import io.meshcap.MeshcapException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Checks, before touching anything, that this machine can host a lab: root, and the tools the lab runs. */
final class HostCheck {

    private static final Map<String, String> PACKAGES = Map.of(
            "ip", "iproute2",
            "iptables", "iptables",
            "iptables-restore", "iptables",
            "ip6tables", "iptables",
            "ip6tables-restore", "iptables",
            "setpriv", "util-linux",
            "setsid", "util-linux",
            "tcpdump", "tcpdump",
            "tshark", "tshark");

    private HostCheck() {
    }

    /** The apt-get command that installs a tool, for messages. */
    static String installHint(String tool) {
        String name = Path.of(tool).getFileName().toString();
        String pkg = PACKAGES.get(name);
        return pkg == null ? "check that it is installed and on PATH" : "install it with: apt-get install -y " + pkg;
    }

    static void requireRoot() {
        if (Libc.C.geteuid() != 0) {
            throw MeshcapException.failure("the lab needs root (it creates network namespaces and loads iptables"
                    + " rules): run as root or with sudo");
        }
    }

    static void requireTools(List<String> tools) {
        for (String tool : tools) {
            if (!onPath(tool)) {
                throw MeshcapException.failure(tool + " not found: " + installHint(tool));
            }
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
