package io.meshcap.cli;

import io.meshcap.reassoc.Reassociation;
import io.meshcap.reassoc.StreamTable;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code meshcap streams}: parses the arguments and prints the table {@link Reassociation#streams} builds, with a
 * warning on stderr when the file is cut short.
 */
@Command(
        name = "streams",
        header = "List every TCP connection per leg and which legs carried the same call.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "List every TCP connection of a capture per leg (inbound-mtls, inbound-plain, outbound-plain,",
            "outbound-mtls, ...) and join the legs of one call: the app's lo connection to the sidecar's eth0",
            "connection on the same port, and a client's eth0 connection to the sidecar's lo connection from",
            "127.0.0.6, each opened while the other was open. Where pooling or HTTP/2 makes that ambiguous, every",
            "candidate is listed with its reason. Istio mTLS connections are marked from their ClientHello",
            "(SNI outbound_.PORT_._.FQDN, ALPN istio-peer-exchange/istio*).",
            "A raw lo capture is re-associated on the fly (nothing is written)."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap streams reviews.pcapng",
            "  meshcap streams --json reviews.pcapng | jq '.joins'",
            "  meshcap streams --outbound-port 15101 lo.pcap"
        })
public final class StreamsCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "A capture (pcap or pcapng), typically a merged pod capture.")
    Path file;

    @Option(names = "--json", description = "Print the table as JSON (streams, joins, ambiguous).")
    boolean json;

    @Mixin
    OutboundPortOption outboundPort;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Reassociation.FileStreams streams = Reassociation.streams(file, outboundPort.ports());
        StreamTable table = streams.table();
        spec.commandLine().getOut().print(json ? table.toJson() + System.lineSeparator() : table.describe());
        spec.commandLine().getOut().flush();
        streams.truncation().ifPresent(cut -> spec.commandLine().getErr().println("meshcap: warning: " + cut));
        spec.commandLine().getErr().flush();
        return 0;
    }
}
