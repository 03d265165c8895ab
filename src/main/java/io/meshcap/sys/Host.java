package io.meshcap.sys;

import io.meshcap.MeshcapException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

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
        return installHint(List.of(tool));
    }

    /** @param need what needs root and why, e.g. {@code the lab needs root (it creates network namespaces)} */
    public static void requireRoot(String need) {
        if (Libc.C.geteuid() != 0) {
            throw MeshcapException.failure(need + ": run as root or with sudo");
        }
    }

    /**
     * Checks up front that every tool is installed, so a missing one is a single message naming all that are
     * missing and the one command that installs them, never a failure half-way through.
     *
     * @param need what needs the tools, e.g. {@code the lab}
     */
    public static void requireTools(String need, Collection<String> tools) {
        requireTools(need, tools, CommandRunner::locate);
    }

    static void requireTools(String need, Collection<String> tools, Function<String, Optional<String>> locate) {
        List<String> missing = tools.stream().distinct().filter(tool -> locate.apply(tool).isEmpty()).toList();
        if (missing.isEmpty()) {
            return;
        }
        String names = missing.size() == 1 ? missing.get(0)
                : String.join(", ", missing.subList(0, missing.size() - 1)) + " and " + missing.get(missing.size() - 1);
        throw MeshcapException.failure(need + " needs " + names + (missing.size() == 1 ? ", which is" : ", which are")
                + " not installed; " + installHint(missing));
    }

    private static String installHint(List<String> tools) {
        List<String> packages = new ArrayList<>();
        for (String tool : tools) {
            String pkg = PACKAGES.get(Path.of(tool).getFileName().toString());
            if (pkg == null) {
                return "check that " + String.join(", ", tools) + " " + (tools.size() == 1 ? "is" : "are")
                        + " installed and on PATH";
            }
            if (!packages.contains(pkg)) {
                packages.add(pkg);
            }
        }
        return "install " + (tools.size() == 1 ? "it" : "them") + " with: apt-get install -y " + String.join(" ", packages);
    }
}
