package io.meshcap.istio;

/** Which tool's view of netfilter the model was read from. */
public enum RuleBackend {
    /** {@code iptables-save} from the legacy (x_tables) back end. */
    IPTABLES_LEGACY("iptables, legacy back end"),
    /** {@code iptables-save} from the nf_tables back end ({@code iptables-nft}). */
    IPTABLES_NFT("iptables, nf_tables back end"),
    /** {@code iptables-save} text whose header was missing or unreadable, so the back end is not known. */
    IPTABLES_UNKNOWN("iptables, back end not known"),
    /** Istio's native nftables mode: tables {@code inet istio-proxy-*} in {@code nft list ruleset}. */
    NFTABLES("nftables"),
    /** Nothing that holds Istio's rules. */
    NONE("none");

    private final String label;

    RuleBackend(String label) {
        this.label = label;
    }

    /** The back end as people call it; JSON keeps the constant's name for tools. */
    public String label() {
        return label;
    }
}
