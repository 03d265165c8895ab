package io.meshcap.cli;

import io.meshcap.net.Cidr;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshcap cidr}: normalises CIDRs to the network address libpcap accepts. */
@Command(
        name = "cidr",
        description = {
            "Normalise CIDRs to their network address, as libpcap requires.",
            "Prints each normalised CIDR on its own line on stdout; what changed, and the range covered, on stderr."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap cidr 192.168.0.0/12            # -> 192.160.0.0/12 (tcpdump rejects the input as given)",
            "  meshcap cidr fd00:1:2:3::/48 10.96.0.0/12",
            "  tcpdump -ni eth0 \"net $(meshcap cidr 192.168.0.0/12 2>/dev/null)\""
        })
final class CidrCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "CIDR", description = "IPv4 or IPv6 networks, e.g. 192.168.0.0/12.")
    List<String> cidrs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // Parse everything first: a bad CIDR anywhere fails the command before anything is printed.
        List<Cidr> parsed = cidrs.stream().map(Cidr::parse).toList();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (Cidr cidr : parsed) {
            out.println(cidr);
            err.println(cidr.explain());
        }
        out.flush();
        err.flush();
        return 0;
    }
}
