package io.meshcap.sys;

import io.meshcap.MeshcapException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Facts about this machine meshcap checks before touching anything: root, and the tools it runs. */
public final class Host {

    /** The Debian package that provides each tool meshcap runs. */
    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("ip", "iproute2"),
            Map.entry("ss", "iproute2"),
            Map.entry("iptables", "iptables"),
            Map.entry("iptables-save", "iptables"),
            Map.entry("iptables-legacy-save", "iptables"),
            Map.entry("iptables-nft-save", "iptables"),
            Map.entry("iptables-restore", "iptables"),
            Map.entry("ip6tables", "iptables"),
            Map.entry("ip6tables-save", "iptables"),
            Map.entry("ip6tables-legacy-save", "iptables"),
            Map.entry("ip6tables-nft-save", "iptables"),
            Map.entry("ip6tables-restore", "iptables"),
            Map.entry("nft", "nftables"),
            Map.entry("tcpdump", "tcpdump"),
            Map.entry("nsenter", "util-linux"),
            Map.entry("setpriv", "util-linux"),
            Map.entry("setsid", "util-linux"),
            Map.entry("tshark", "tshark"),
            Map.entry("cat", "coreutils"));

    private Host() {
    }

    /** The apt-get command that installs a tool, for messages. */
    public static String installHint(String tool) {
        String name = Path.of(tool).getFileName().toString();
        String pkg = PACKAGES.get(name);
        return pkg == null ? "check that it is installed and on PATH" : "install it with: apt-get install -y " + pkg;
    }

    /** @param need what needs root and why, e.g. {@code the lab needs root (it creates network namespaces)} */
    public static void requireRoot(String need) {
        if (Libc.C.geteuid() != 0) {
            throw MeshcapException.failure(need + ": run as root or with sudo");
        }
    }

    public static void requireTools(List<String> tools) {
        for (String tool : tools) {
            if (CommandRunner.locate(tool).isEmpty()) {
                throw MeshcapException.failure(tool + " not found: " + installHint(tool));
            }
        }
    }
}
