package io.meshcap.istio;

import io.meshcap.MeshcapException;
import io.meshcap.net.Cidr;
import java.util.Optional;

/** Addresses as the rules write them: iptables always with a prefix length, nft without one for a single host. */
final class RuleAddresses {

    private static final Cidr IPV4_LOOPBACK = Cidr.parse("127.0.0.0/8");
    private static final Cidr IPV6_LOOPBACK = Cidr.parse("::1/128");

    private RuleAddresses() {
    }

    /** {@code 10.96.0.10} becomes {@code 10.96.0.10/32}; a CIDR stays as written. */
    static String cidr(String address) {
        if (address.contains("/")) {
            return address;
        }
        return address + (address.contains(":") ? "/128" : "/32");
    }

    /** The host a one-address CIDR names ({@code 10.96.0.10/32} becomes {@code 10.96.0.10}); wider networks stay. */
    static String host(String address) {
        String cidr = cidr(address);
        return cidr.endsWith("/32") || cidr.endsWith("/128") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
    }

    /** The network, or empty when the text is not an address (an nft set name, say). */
    static Optional<Cidr> parse(String address) {
        try {
            return Optional.of(Cidr.parse(cidr(address)));
        } catch (MeshcapException e) {
            return Optional.empty();
        }
    }

    /** Whether every address of {@code narrow} lies in {@code wide}. */
    static boolean within(String narrow, String wide) {
        Optional<Cidr> inner = parse(narrow);
        Optional<Cidr> outer = parse(wide);
        return inner.isPresent() && outer.isPresent() && outer.get().contains(inner.get());
    }

    /**
     * Whether a destination lies on loopback: Istio's RETURN for 127.0.0.1/32 (or the whole 127.0.0.0/8 when the
     * injection sets HostIPv4LoopbackCidr) and ::1 keeps local calls off the proxy; it excludes no real destination.
     */
    static boolean loopback(String address) {
        return parse(address).map(c -> IPV4_LOOPBACK.contains(c) || IPV6_LOOPBACK.contains(c)).orElse(false);
    }
}
