package io.meshcap.istio;

import java.util.Map;

/** The Debian package of each external program meshcap runs, so a missing one comes with its install command. */
final class Tool {

    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("iptables-save", "iptables"),
            Map.entry("ip6tables-save", "iptables"),
            Map.entry("iptables-legacy-save", "iptables"),
            Map.entry("ip6tables-legacy-save", "iptables"),
            Map.entry("iptables-nft-save", "iptables"),
            Map.entry("ip6tables-nft-save", "iptables"),
            Map.entry("nft", "nftables"),
            Map.entry("ss", "iproute2"),
            Map.entry("ip", "iproute2"),
            Map.entry("nsenter", "util-linux"),
            Map.entry("cat", "coreutils"));

    private Tool() {
    }

    /** "apt-get install -y iptables" for iptables-save. */
    static String installHint(String program) {
        return "apt-get install -y " + PACKAGES.getOrDefault(program, program);
    }
}
