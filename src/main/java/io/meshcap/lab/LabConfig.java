package io.meshcap.lab;

import io.meshcap.MeshcapException;
import io.meshcap.istio.IstioDefaults;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a lab is made of. The name prefixes everything the lab creates, so several labs (a user's and a test's)
 * can coexist on one machine.
 *
 * @param name      lab name: lower-case letters, digits and '-', at most {@value #MAX_NAME_LENGTH} characters
 * @param proxyUid  the uid the stand-in sidecar runs as and the nat rules exempt (Istio's default is 1337)
 * @param appPorts  ports the application server in the pod listens on, and the upstream servers in the mesh
 * @param ipv6      also give both namespaces IPv6 addresses and load Istio's ip6tables rules
 */
public record LabConfig(String name, int proxyUid, List<Integer> appPorts, boolean ipv6) {

    public static final String DEFAULT_NAME = "meshcap";
    public static final int DEFAULT_PROXY_UID = (int) IstioDefaults.PROXY_UID;
    public static final List<Integer> DEFAULT_APP_PORTS = List.of(8080, 9080);
    public static final int MAX_NAME_LENGTH = 24;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
    private static final int MAX_PORT = 65535;

    public LabConfig {
        appPorts = List.copyOf(appPorts);
        if (name.length() > MAX_NAME_LENGTH || !NAME.matcher(name).matches()) {
            throw MeshcapException.usage("lab name '" + name + "' is not usable: use lower-case letters, digits and"
                    + " '-', at most " + MAX_NAME_LENGTH + " characters, e.g. --name mylab");
        }
        if (proxyUid <= 0) {
            throw MeshcapException.usage("proxy uid " + proxyUid + " is not usable: the sidecar must not run as root"
                    + " (uid 0) or the rules would exempt root's traffic; Istio's default is " + DEFAULT_PROXY_UID);
        }
        if (appPorts.isEmpty()) {
            throw MeshcapException.usage("the lab needs at least one app port, e.g. --app-ports 8080");
        }
        for (int port : appPorts) {
            if (port <= 0 || port > MAX_PORT || IstioDefaults.SIDECAR_RESERVED_PORTS.contains(port)) {
                throw MeshcapException.usage("app port " + port + " is not usable: pick 1-65535 outside Istio's"
                        + " ports " + IstioDefaults.SIDECAR_RESERVED_PORTS);
            }
        }
        if (appPorts.stream().distinct().count() != appPorts.size()) {
            throw MeshcapException.usage("app ports " + appPorts + " repeat a port: list each port once");
        }
    }

    /** The default lab: name {@value #DEFAULT_NAME}, proxy uid 1337, ports 8080 and 9080, IPv4 only. */
    public static LabConfig defaults() {
        return new LabConfig(DEFAULT_NAME, DEFAULT_PROXY_UID, DEFAULT_APP_PORTS, false);
    }

    public LabConfig withName(String newName) {
        return new LabConfig(newName, proxyUid, appPorts, ipv6);
    }

    public LabConfig withProxyUid(int uid) {
        return new LabConfig(name, uid, appPorts, ipv6);
    }

    public LabConfig withAppPorts(List<Integer> ports) {
        return new LabConfig(name, proxyUid, ports, ipv6);
    }

    public LabConfig withIpv6(boolean enabled) {
        return new LabConfig(name, proxyUid, appPorts, enabled);
    }
}
