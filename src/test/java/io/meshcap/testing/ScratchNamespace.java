package io.meshcap.testing;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A network namespace of the test's own, with a uniquely named lo of its own: traffic there never meets another
 * test's, and its lo can be given a small MTU or netfilter rules without touching the host. Closing deletes it; one
 * a killed test JVM left is deleted by the next one made ({@link OwnedNamespaces}).
 */
public final class ScratchNamespace implements AutoCloseable {

    private static final int NAME_RANDOM_BYTES = 4;

    private final String name;

    private ScratchNamespace(String name) {
        this.name = name;
    }

    /** Creates the namespace {@code PREFIX-RANDOM} and brings its lo up with {@code mtu}. */
    public static ScratchNamespace create(String prefix, int mtu) {
        byte[] random = new byte[NAME_RANDOM_BYTES];
        new SecureRandom().nextBytes(random);
        ScratchNamespace namespace = new ScratchNamespace(prefix + "-" + HexFormat.of().formatHex(random));
        OwnedNamespaces.add(namespace.name);
        namespace.run("ip", "link", "set", "lo", "mtu", Integer.toString(mtu), "up");
        return namespace;
    }

    /**
     * Joins two namespaces with a veth pair whose ends are both named {@code eth0}, like a pod's, with the given
     * addresses ({@code ADDRESS/PREFIX}), and brings both ends up.
     */
    public static void connect(ScratchNamespace one, String oneAddress, ScratchNamespace other, String otherAddress) {
        Tshark.run("ip", "link", "add", "eth0", "netns", one.name, "type", "veth", "peer", "name", "eth0", "netns",
                other.name);
        for (ScratchNamespace end : List.of(one, other)) {
            end.run("ip", "addr", "add", end == one ? oneAddress : otherAddress, "dev", "eth0");
            end.run("ip", "link", "set", "eth0", "up");
        }
    }

    public String name() {
        return name;
    }

    /** Runs a command inside the namespace and fails the test unless it exits 0; returns its output. */
    public String run(String... argv) {
        return Tshark.run(command(argv));
    }

    /** {@code ip netns exec NAME argv...}, to start a process inside the namespace. */
    public List<String> command(String... argv) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(List.of(argv));
        return command;
    }

    @Override
    public void close() {
        OwnedNamespaces.delete(name);
    }
}
