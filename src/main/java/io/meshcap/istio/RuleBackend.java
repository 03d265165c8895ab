package io.meshcap.istio;

/** Which tool's view of netfilter the model was read from. */
public enum RuleBackend {
    /** {@code iptables-save} from the legacy (x_tables) back end. */
    IPTABLES_LEGACY,
    /** {@code iptables-save} from the nf_tables back end ({@code iptables-nft}). */
    IPTABLES_NFT,
    /** {@code iptables-save} text whose header was missing or unreadable, so the back end is not known. */
    IPTABLES_UNKNOWN,
    /** Istio's native nftables mode: tables {@code inet istio-proxy-*} in {@code nft list ruleset}. */
    NFTABLES,
    /** Nothing that holds Istio's rules. */
    NONE
}
