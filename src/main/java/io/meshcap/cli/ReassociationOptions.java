package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.plan.FilterInputs;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.RedirectReassociator;
import picocli.CommandLine.Option;

/** The options of re-association, shared by {@code reassociate} and {@code merge --reassociate}. */
final class ReassociationOptions {

    private static final int MAX_PORT = 65535;

    @Option(names = "--keep-original",
            description = "Also keep every rewritten packet as captured, just before its rewritten copy.")
    boolean keepOriginal;

    @Option(names = "--outbound-port", paramLabel = "PORT",
            defaultValue = "" + FilterInputs.ISTIO_DEFAULT_OUTBOUND_PORT,
            description = "The sidecar's outbound capture port (istio-iptables -p; default: ${DEFAULT-VALUE}).")
    int outboundPort;

    RedirectReassociator reassociator() {
        if (outboundPort <= 0 || outboundPort > MAX_PORT) {
            throw MeshcapException.usage("--outbound-port " + outboundPort + ": a port is 1-65535; Istio's default is "
                    + FilterInputs.ISTIO_DEFAULT_OUTBOUND_PORT);
        }
        if (outboundPort == RedirectPorts.ISTIO_DEFAULT_INBOUND_PORT) {
            throw MeshcapException.usage("--outbound-port " + outboundPort + " is the sidecar's inbound capture port,"
                    + " which is re-associated anyway; give the outbound one (istio-iptables -p)");
        }
        return new RedirectReassociator(RedirectPorts.withOutbound(outboundPort), keepOriginal);
    }
}
