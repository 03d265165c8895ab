package io.meshcap.net;

import io.meshcap.MeshcapException;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.net.util.SubnetUtils;

/**
 * An IPv4 or IPv6 network in CIDR notation, normalised to its network address.
 *
 * <p>libpcap rejects a network whose host bits are set ({@code non-network bits set in "192.168.0.0/12"}),
 * while cluster configuration often carries such values (kube-controller-manager's {@code --cluster-cidr}).
 * Every CIDR meshcap puts into a filter goes through {@link #parse} so the filter always compiles, and
 * {@link #changed()} lets the caller say what it altered.
 *
 * @param input   the text as the user gave it
 * @param network the network address (host bits cleared)
 * @param prefix  the prefix length
 */
public record Cidr(String input, InetAddress network, int prefix) {

    private static final int IPV4_BITS = 32;
    private static final int IPV6_BITS = 128;
    /**
     * Networks that are not public address space (RFC 1918 private, RFC 6598 shared, RFC 2544 benchmarking, IPv6
     * unique local): a cluster network normally lies inside one of them.
     */
    private static final List<Cidr> NOT_PUBLIC = Stream.of("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12",
            "192.168.0.0/16", "198.18.0.0/15", "fc00::/7").map(Cidr::parse).toList();

    /**
     * Parses {@code a.b.c.d/n} or {@code x:y::z/n} without any name lookup.
     *
     * @throws MeshcapException (usage) naming the bad part of the input
     */
    public static Cidr parse(String text) {
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        if (slash < 0) {
            throw invalid(text, "missing /PREFIX (a single address is ADDRESS/32, or /128 for IPv6)");
        }
        String address = trimmed.substring(0, slash);
        String prefixText = trimmed.substring(slash + 1);
        return address.contains(":") ? parseIpv6(text, address, prefixText) : parseIpv4(text, address, prefixText);
    }

    private static Cidr parseIpv4(String input, String address, String prefixText) {
        int prefix = prefixLength(input, prefixText, IPV4_BITS);
        SubnetUtils subnet;
        try {
            // commons-net validates the dotted quad strictly; /0 is checked by the prefix parser above.
            subnet = new SubnetUtils(address + "/" + Math.max(prefix, 1));
        } catch (IllegalArgumentException e) {
            throw invalid(input, "'" + address + "' is not an IPv4 address");
        }
        String networkAddress = prefix == 0 ? "0.0.0.0" : subnet.getInfo().getNetworkAddress();
        return new Cidr(input, literal(networkAddress), prefix);
    }

    private static Cidr parseIpv6(String input, String address, String prefixText) {
        int prefix = prefixLength(input, prefixText, IPV6_BITS);
        InetAddress parsed;
        try {
            // A text containing ':' is only ever parsed as an IPv6 literal, never looked up.
            parsed = InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw invalid(input, "'" + address + "' is not an IPv6 address");
        }
        if (!(parsed instanceof Inet6Address) || address.contains("%")) {
            throw invalid(input, "'" + address + "' is not a plain IPv6 address");
        }
        byte[] bytes = parsed.getAddress();
        clearHostBits(bytes, prefix);
        return new Cidr(input, addressOf(bytes), prefix);
    }

    private static int prefixLength(String input, String text, int maxBits) {
        if (!text.matches("\\d{1,3}")) {
            throw invalid(input, "prefix '" + text + "' is not a number from 0 to " + maxBits);
        }
        int prefix = Integer.parseInt(text);
        if (prefix > maxBits) {
            throw invalid(input, "prefix /" + prefix + " is longer than the " + maxBits + " bits of the address");
        }
        return prefix;
    }

    private static void clearHostBits(byte[] bytes, int prefix) {
        for (int i = 0; i < bytes.length; i++) {
            int bitsInThisByte = Math.max(0, Math.min(Byte.SIZE, prefix - i * Byte.SIZE));
            bytes[i] &= (byte) (0xff << (Byte.SIZE - bitsInThisByte));
        }
    }

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not a literal: " + address, e);
        }
    }

    private static InetAddress addressOf(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of illegal length " + bytes.length, e);
        }
    }

    private static MeshcapException invalid(String input, String reason) {
        return MeshcapException.usage("invalid CIDR '" + input + "': " + reason);
    }

    /** True for an IPv6 network. */
    public boolean isIpv6() {
        return network instanceof Inet6Address;
    }

    /** The normalised form, e.g. {@code 192.160.0.0/12} or {@code fd00:1:2::/48}; what goes into a filter. */
    @Override
    public String toString() {
        return Addresses.format(network) + "/" + prefix;
    }

    /** True when normalising changed the network (host bits were set), not merely the spelling. */
    public boolean changed() {
        String given = input.strip();
        String givenAddress = given.substring(0, given.indexOf('/'));
        return !literalEquals(givenAddress, network);
    }

    private static boolean literalEquals(String text, InetAddress address) {
        return literal(text).equals(address);
    }

    /** Whether {@code address} lies in this network (an address of the other family never does). */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != network.getAddress().length) {
            return false;
        }
        clearHostBits(bytes, prefix);
        return addressOf(bytes).equals(network);
    }

    /** Whether every address of {@code other} lies in this network. */
    public boolean contains(Cidr other) {
        return other.prefix >= prefix && contains(other.network);
    }

    /** The last address of the network. */
    public InetAddress lastAddress() {
        int bits = isIpv6() ? IPV6_BITS : IPV4_BITS;
        BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
        BigInteger last = new BigInteger(1, network.getAddress()).or(hostMask);
        byte[] raw = last.toByteArray();
        byte[] bytes = new byte[bits / Byte.SIZE];
        int copy = Math.min(raw.length, bytes.length);
        System.arraycopy(raw, raw.length - copy, bytes, bytes.length - copy, copy);
        return addressOf(bytes);
    }

    /** How many addresses the network covers, e.g. {@code 1048576} or {@code 2^80}. */
    public String size() {
        int hostBits = (isIpv6() ? IPV6_BITS : IPV4_BITS) - prefix;
        return hostBits < 63 ? Long.toString(1L << hostBits) : "2^" + hostBits;
    }

    /**
     * One line for a human: what changed, if anything, and the range covered. When clearing host bits widened the
     * network into public address space, it says so and names the prefixes the user probably meant.
     */
    public String explain() {
        String range = "covers " + Addresses.format(network) + " - " + Addresses.format(lastAddress())
                + " (" + size() + (prefix == (isIpv6() ? IPV6_BITS : IPV4_BITS) ? " address)" : " addresses)");
        if (changed()) {
            return input.strip() + " -> " + this + ": host bits cleared (libpcap rejects a network with host bits set); "
                    + range + publicSpace();
        }
        return this + ": already a network address; " + range;
    }

    /** What of this network is public address space, and the prefixes that keep the address the user gave. */
    private String publicSpace() {
        if (NOT_PUBLIC.stream().anyMatch(range -> range.contains(this))) {
            return "";
        }
        List<String> inside = NOT_PUBLIC.stream().filter(this::contains).map(Cidr::toString).toList();
        String share = inside.isEmpty() ? "; all of it is public address space"
                : "; most of it is public address space (only " + String.join(", ", inside) + " in it is private)";
        InetAddress given = literal(input.strip().substring(0, input.strip().indexOf('/')));
        int bits = isIpv6() ? IPV6_BITS : IPV4_BITS;
        int lowestSetBit = new BigInteger(1, given.getAddress()).getLowestSetBit();
        int keeping = lowestSetBit < 0 ? 0 : bits - lowestSetBit;
        String suggestion = "; did you mean " + Addresses.format(given) + "/" + keeping
                + " (the shortest prefix that keeps " + Addresses.format(given) + " as the network)";
        Optional<Cidr> usual = NOT_PUBLIC.stream().filter(range -> range.contains(given)).findFirst();
        if (usual.isPresent() && usual.get().prefix != keeping) {
            suggestion += " or " + usual.get() + " (the private range it lies in)";
        }
        return share + suggestion + "?";
    }
}
