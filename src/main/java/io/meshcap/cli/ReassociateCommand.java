package io.meshcap.cli;

import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.OutputFormat;
import io.meshcap.reassoc.Reassociation;
import io.meshcap.reassoc.ReassociationStats;
import io.meshcap.reassoc.RedirectPorts;
import io.meshcap.tls.KeyLog;
import io.meshcap.tls.SecretsWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshcap reassociate}: parses the arguments and hands the work to {@link Reassociation}. */
@Command(
        name = "reassociate",
        header = "Undo the iptables REDIRECT in a lo capture, so Wireshark can follow every outbound stream.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Undo the iptables REDIRECT in a capture of a sidecar pod's lo, so that every outbound connection",
            "is one conversation again and Wireshark's Follow TCP Stream shows both directions.",
            "Request packets POD_IP:eph > 127.0.0.1:15001 (::1 for IPv6; 15006 for the self-call path) get the",
            "original destination their replies show, with IP and TCP checksums brought up to date. Rewritten",
            "packets go on an interface of their own beside their leg's, \"LEG (re-associated)\", which marks them",
            "at no cost in file size: Wireshark shows them with the display filter",
            "frame.interface_name contains \"(re-associated)\" and still follows each connection as one stream.",
            "The first rewritten packet of each connection explains the rewrite in a comment.",
            "Always writes pcapng (the marks need it). Prints a summary line on stderr."
        },
        footer = {
            "",
            "Examples:",
            "  meshcap reassociate lo.pcap -o lo-reassociated.pcapng",
            "  meshcap reassociate lo.pcap -o - | wireshark -k -i -",
            "  meshcap reassociate --keep-original --outbound-port 15101 lo.pcap -o lo.pcapng",
            "  tshark -r lo-reassociated.pcapng -q -z conv,tcp",
            "  tshark -r lo-reassociated.pcapng -Y 'frame.interface_name contains \"(re-associated)\"'",
            "  meshcap reassociate --tls-keylog keys.log pod.pcap -o pod.pcapng",
            "",
            "OUT is replaced only once the new file is complete (a failed or interrupted run leaves it as it was).",
            "Output files are created with mode 0600: captures hold private data (and, with --tls-keylog, keys)."
        })
public final class ReassociateCommand implements Callable<Integer> {


    @Parameters(paramLabel = "IN", description = "A capture (pcap or pcapng) that includes a sidecar pod's lo.")
    Path input;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true,
            description = "The re-associated pcapng file, or - for standard output.")
    String output;

    @Option(names = "--keep-original",
            description = "Also keep every rewritten packet as captured, just before its rewritten copy.")
    boolean keepOriginal;

    @Mixin
    OutboundPortOption outboundPort;

    @Mixin
    TlsKeyLogOption tlsKeyLog;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        RedirectPorts ports = outboundPort.ports();
        CaptureOutput out = CaptureOutput.of(output, List.of(input));
        out.reportLeftovers(spec.commandLine().getErr());
        KeyLog keys = tlsKeyLog.read();
        ReassociationStats stats;
        try (CaptureReader reader = CaptureFormats.open(input)) {
            stats = out.write(OutputFormat.PCAPNG, writer -> SecretsWriter.adding(writer, keys),
                    writer -> Reassociation.copy(reader, input.getFileName().toString(), writer, ports,
                            keepOriginal));
            reader.truncation().ifPresent(cut -> spec.commandLine().getErr().println("meshcap: warning: " + cut));
            reader.skipped().ifPresent(note -> spec.commandLine().getErr().println("meshcap: note: " + note));
        }
        spec.commandLine().getErr().println(stats.describe());
        out.secretsNotes().forEach(spec.commandLine().getErr()::println);
        spec.commandLine().getErr().flush();
        return 0;
    }
}
