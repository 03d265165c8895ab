package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.reassoc.RedirectPorts;
import picocli.CommandLine.Option;

/** The sidecar's outbound port, shared by {@code reassociate}, {@code merge --reassociate} and {@code streams}. */
final class OutboundPortOption {

    private static final int MAX_PORT = 65535;

    @Option(names = "--outbound-port", paramLabel = "PORT",
            defaultValue = "" + IstioDefaults.OUTBOUND_CAPTURE_PORT,
            description = "The sidecar's outbound capture port (istio-iptables -p; default: ${DEFAULT-VALUE}).")
    int outboundPort;

    /** The REDIRECT ports to undo, checked. */
    RedirectPorts ports() {
        if (outboundPort <= 0 || outboundPort > MAX_PORT) {
            throw MeshcapException.usage("--outbound-port " + outboundPort + ": a port is 1-65535; Istio's default is "
                    + IstioDefaults.OUTBOUND_CAPTURE_PORT);
        }
        if (outboundPort == IstioDefaults.INBOUND_CAPTURE_PORT) {
            throw MeshcapException.usage("--outbound-port " + outboundPort + " is the sidecar's inbound capture port,"
                    + " which is re-associated anyway; give the outbound one (istio-iptables -p)");
        }
        // These commands read capture files, not rules: the inbound port is Istio's.
        return RedirectPorts.of(outboundPort, null);
    }
}
