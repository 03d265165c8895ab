package io.meshcap.lab;

import java.util.ArrayList;
import java.util.List;

/**
 * Names and addresses of a lab. The pod namespace holds {@code eth0} and {@code lo}, the mesh namespace the other
 * end of the veth. Addresses come from the benchmarking ranges (198.18.0.0/15, 2001:2::/48) and are the same in
 * every lab: each lab has its own namespaces, so they never meet.
 *
 * @param podNamespace  network namespace of the pod, {@code <name>-pod}
 * @param meshNamespace network namespace playing the rest of the mesh, {@code <name>-mesh}
 * @param appPorts      ports of the app server in the pod and of the upstream servers in the mesh
 * @param ipv6          whether the IPv6 addresses are configured
 */
public record LabTopology(String podNamespace, String meshNamespace, List<Integer> appPorts, boolean ipv6) {

    public static final String POD_INTERFACE = "eth0";
    public static final String MESH_INTERFACE = "to-pod";
    public static final String POD_IPV4 = "198.18.0.2";
    public static final String MESH_IPV4 = "198.18.0.1";
    public static final int IPV4_PREFIX = 24;
    public static final String POD_IPV6 = "2001:2::2";
    public static final String MESH_IPV6 = "2001:2::1";
    public static final int IPV6_PREFIX = 64;
    /** The Kubernetes service name of the pod's app: the Host and SNI of inbound calls. */
    public static final String POD_SERVICE = "app.lab.svc.cluster.local";
    /** The service name of the upstream servers in the mesh: the Host and SNI of outbound calls. */
    public static final String MESH_SERVICE = "upstream.lab.svc.cluster.local";
    /** The service account, and so the SPIFFE identity, of the pod's sidecar. */
    public static final String POD_IDENTITY = "app";
    /** The service account of everything in the mesh namespace: its clients and upstream servers. */
    public static final String MESH_IDENTITY = "mesh";

    public static LabTopology of(LabConfig config) {
        return new LabTopology(config.name() + "-pod", config.name() + "-mesh", config.appPorts(), config.ipv6());
    }

    public LabTopology {
        appPorts = List.copyOf(appPorts);
    }

    /** The pod's eth0 address in a family (the POD_IP of design.md). */
    public String podIp(IpFamily family) {
        return family == IpFamily.IPV4 ? POD_IPV4 : POD_IPV6;
    }

    /** The address of the upstream servers and inbound clients in the mesh namespace. */
    public String meshIp(IpFamily family) {
        return family == IpFamily.IPV4 ? MESH_IPV4 : MESH_IPV6;
    }

    public List<IpFamily> families() {
        List<IpFamily> families = new ArrayList<>(List.of(IpFamily.IPV4));
        if (ipv6) {
            families.add(IpFamily.IPV6);
        }
        return List.copyOf(families);
    }
}
