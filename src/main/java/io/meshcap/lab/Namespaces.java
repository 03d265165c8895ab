package io.meshcap.lab;

import io.meshcap.MeshcapException;
import io.meshcap.sys.CommandRunner;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates and removes the lab's two network namespaces and the veth between them. The veth is created with both
 * ends already inside the namespaces, so nothing of the lab ever appears in the host's own namespace, and deleting
 * the namespaces deletes the veth. Every step is safe to repeat.
 */
final class Namespaces {

    private static final String IPV6_LOOPBACK_BIND = "::6/128";

    private Namespaces() {
    }

    static List<String> existing() {
        List<String> names = new ArrayList<>();
        for (String line : CommandRunner.check("listing network namespaces failed", List.of("ip", "netns", "list"))
                .stdout().lines().toList()) {
            if (!line.isBlank()) {
                names.add(line.strip().split("\\s+")[0]);
            }
        }
        return names;
    }

    static boolean exists(String namespace) {
        return existing().contains(namespace);
    }

    /** Brings namespaces, veth, addresses and links to the topology's state. */
    static void ensure(LabTopology topology) {
        String pod = topology.podNamespace();
        String mesh = topology.meshNamespace();
        for (String namespace : List.of(pod, mesh)) {
            if (!exists(namespace)) {
                CommandRunner.check("creating network namespace " + namespace + " failed",
                        List.of("ip", "netns", "add", namespace));
            }
        }
        if (!linkExists(pod, LabTopology.POD_INTERFACE)) {
            // A mesh end without its pod end is left over from an interrupted run; the pair is made anew.
            if (linkExists(mesh, LabTopology.MESH_INTERFACE)) {
                CommandRunner.check("removing a stale veth end failed",
                        List.of("ip", "-n", mesh, "link", "del", LabTopology.MESH_INTERFACE));
            }
            CommandRunner.check("creating the veth between " + pod + " and " + mesh + " failed",
                    List.of("ip", "link", "add", LabTopology.POD_INTERFACE, "netns", pod, "type", "veth",
                            "peer", "name", LabTopology.MESH_INTERFACE, "netns", mesh));
        }
        address(pod, LabTopology.POD_INTERFACE, LabTopology.POD_IPV4 + "/" + LabTopology.IPV4_PREFIX);
        address(mesh, LabTopology.MESH_INTERFACE, LabTopology.MESH_IPV4 + "/" + LabTopology.IPV4_PREFIX);
        if (topology.ipv6()) {
            address(pod, LabTopology.POD_INTERFACE, LabTopology.POD_IPV6 + "/" + LabTopology.IPV6_PREFIX);
            address(mesh, LabTopology.MESH_INTERFACE, LabTopology.MESH_IPV6 + "/" + LabTopology.IPV6_PREFIX);
            // Linux only owns ::1 on lo; istio-iptables adds ::6 so Envoy can bind it for inbound connections.
            address(pod, "lo", IPV6_LOOPBACK_BIND);
        }
        for (String[] link : new String[][] {{pod, "lo"}, {pod, LabTopology.POD_INTERFACE}, {mesh, "lo"},
                {mesh, LabTopology.MESH_INTERFACE}}) {
            CommandRunner.check("bringing up " + link[1] + " in " + link[0] + " failed",
                    List.of("ip", "-n", link[0], "link", "set", link[1], "up"));
        }
    }

    /**
     * Deletes the namespace if it exists. Two removers of one lab at once (two test runs sweeping the same leftover,
     * or two {@code lab down}) both see it and both ask: the one that finds it already gone has nothing left to do,
     * so a failure counts only while the namespace is still there.
     */
    static void delete(String namespace) {
        if (!exists(namespace)) {
            return;
        }
        try {
            CommandRunner.check("deleting network namespace " + namespace + " failed",
                    List.of("ip", "netns", "del", namespace));
        } catch (MeshcapException failed) {
            if (exists(namespace)) {
                throw failed;
            }
        }
    }

    /** Process ids of everything still running inside a namespace. */
    static List<Long> pids(String namespace) {
        CommandRunner.Result result = CommandRunner.run(List.of("ip", "netns", "pids", namespace));
        if (!result.ok()) {
            return List.of();
        }
        return result.stdout().lines().filter(line -> !line.isBlank()).map(line -> Long.parseLong(line.strip()))
                .toList();
    }

    /** {@code ip -br addr} of a namespace, for status. */
    static String addresses(String namespace) {
        CommandRunner.Result result = CommandRunner.run(List.of("ip", "-n", namespace, "-br", "addr", "show"));
        return result.ok() ? result.stdout() : result.reason();
    }

    private static boolean linkExists(String namespace, String link) {
        return CommandRunner.run(List.of("ip", "-n", namespace, "link", "show", "dev", link)).ok();
    }

    private static void address(String namespace, String link, String cidr) {
        // nodad: duplicate address detection would keep a fresh IPv6 address unusable ("tentative") for a second.
        List<String> argv = new ArrayList<>(List.of("ip", "-n", namespace, "addr", "replace", cidr, "dev", link));
        if (cidr.contains(":")) {
            argv.add("nodad");
        }
        CommandRunner.check("adding " + cidr + " to " + link + " in " + namespace + " failed", argv);
    }
}
