package io.meshcap.cli;

import io.meshcap.reassoc.Reassociation;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.reassoc.StreamTable;
import io.meshcap.tls.KeyLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
            "",
            "With TLS keys (the file's own key logs, Decryption Secrets Blocks, or --tls-keylog), meshcap decrypts",
            "the mTLS legs itself (TLS 1.3; TLS 1.2 with AES-GCM or ChaCha20-Poly1305) and joins legs by the",
            "HTTP/1.x requests they carried: the same x-request-id, or the same request line, header fields and",
            "body, sent while the other leg's request was outstanding. Such joins say 'joined exactly (same",
            "request)', one per request, so a pooled connection is split call by call; the timing rule above is",
            "left for what content cannot join. The decryption column says for every TLS connection whether it",
            "was decrypted, and the summary under the table why others were not (no key log; opened before key",
            "logging started; handshake not captured; a CBC suite). A note on stderr names the ports of TLS",
            "connections that Wireshark dissects as another protocol (8080 as HTTP): it reads them once told",
            "(tshark -d tcp.port==8080,tls).",
            "A raw lo capture is re-associated on the fly (nothing is written)."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap streams reviews.pcapng",
            "  meshcap streams --json reviews.pcapng | jq '.joins'",
            "  meshcap streams --outbound-port 15101 lo.pcap",
            "  meshcap streams --tls-keylog envoy-keys.log pod.pcapng",
            "  meshcap streams --json pod.pcapng | jq '.joins[] | select(.call != null)'"
        })
public final class StreamsCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "A capture (pcap or pcapng), typically a merged pod capture.")
    Path file;

    @Option(names = "--json", description = "Print the table as JSON (streams, joins, ambiguous).")
    boolean json;

    @Mixin
    OutboundPortOption outboundPort;

    @Option(names = "--tls-keylog", paramLabel = "FILE",
            description = "An NSS key log (SSLKEYLOGFILE format, as Envoy's key_log and OpenSSL write it) to decrypt"
                    + " the mTLS legs with, besides the key logs the capture holds. Repeatable.")
    List<Path> keyLogs = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        RedirectPorts ports = outboundPort.ports();
        KeyLog keys = TlsKeyLogOption.read(keyLogs);
        keys.problems().forEach(problem -> spec.commandLine().getErr().println("meshcap: warning: "
                + problem.describe()));
        Reassociation.FileStreams streams = Reassociation.streams(file, ports, keys);
        StreamTable table = streams.table();
        spec.commandLine().getOut().print(json ? table.toJson() + System.lineSeparator() : table.describe());
        spec.commandLine().getOut().flush();
        streams.truncation().ifPresent(cut -> spec.commandLine().getErr().println("meshcap: warning: " + cut));
        table.tlsOnPortsWiresharkGivesToOtherProtocols()
                .forEach(note -> spec.commandLine().getErr().println("meshcap: note: " + note));
        spec.commandLine().getErr().flush();
        return 0;
    }
}
