package io.meshcap.lab;

import io.meshcap.istio.IstioDefaults;

/** The two address families, with what differs between them in the lab. */
public enum IpFamily {
    IPV4("ipv4", "iptables", "iptables-restore", "127.0.0.1/32", IstioDefaults.ENVOY_INBOUND_SOURCE_V4),
    IPV6("ipv6", "ip6tables", "ip6tables-restore", "::1/128", IstioDefaults.ENVOY_INBOUND_SOURCE_V6);

    private final String label;
    private final String iptables;
    private final String iptablesRestore;
    private final String loopback;
    private final String inboundBind;

    IpFamily(String label, String iptables, String iptablesRestore, String loopback, String inboundBind) {
        this.label = label;
        this.iptables = iptables;
        this.iptablesRestore = iptablesRestore;
        this.loopback = loopback;
        this.inboundBind = inboundBind;
    }

    public String label() {
        return label;
    }

    String iptables() {
        return iptables;
    }

    String iptablesRestore() {
        return iptablesRestore;
    }

    /** The loopback network as Istio writes it in the rules. */
    String loopback() {
        return loopback;
    }

    /** The address Envoy binds before connecting to the app for an inbound connection. */
    public String inboundBind() {
        return inboundBind;
    }

    /** The inbound bind address as a single-host network, the way the RETURN rule writes it. */
    String inboundBindNetwork() {
        return this == IPV4 ? inboundBind + "/32" : inboundBind + "/128";
    }
}
