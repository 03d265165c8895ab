package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.reassoc.StreamSummary;
import io.meshcap.reassoc.StreamTable;
import io.meshcap.tls.TlsReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * {@code --decrypt} and {@code --decrypt-timeout} of {@code capture}: the pods' sidecars log their TLS keys for the
 * capture, and the keys go into the file (docs/decryption.md).
 */
final class DecryptOption {

    /** Istio pushes an EnvoyFilter within seconds; a minute covers a busy control plane. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final String DECRYPTED = TlsReport.Status.DECRYPTED.label();

    @Option(names = "--decrypt",
            description = "With --pod or --selector: make each pod's Istio sidecar log the TLS keys of its mTLS"
                    + " connections (a temporary EnvoyFilter with Envoy's key_log, removed when the capture ends),"
                    + " wait until Envoy shows it, and put the keys into the file, so Wireshark decrypts the mTLS legs"
                    + " with no settings. Connections opened before that, and other workloads' connections, stay"
                    + " encrypted. The file then holds secrets (mode 0600). Needs create and delete on envoyfilters"
                    + " (examples/rbac.yaml, Role meshcap-decrypt).")
    boolean requested;

    @Option(names = "--decrypt-timeout", paramLabel = "TIME", converter = Quantities.DurationConverter.class,
            description = "How long --decrypt waits for Envoy to show the key log (Istio must push the filter first);"
                    + " after that the capture goes on without decryption. Default: 60s.")
    Duration timeout;

    /** Refuses what cannot work, before anything is contacted. */
    void validate(boolean cluster) {
        if (timeout != null && !requested) {
            throw MeshcapException.usage("--decrypt-timeout goes with --decrypt");
        }
        if (requested && !cluster) {
            throw MeshcapException.usage("--decrypt makes a cluster pod's sidecar log its TLS keys: give --pod or"
                    + " --selector; for a capture on this machine, give the key log with --tls-keylog FILE");
        }
        if (timeout != null && timeout.toSeconds() < 1) {
            throw MeshcapException.usage("--decrypt-timeout must be at least 1s, not " + timeout.toMillis() + "ms");
        }
    }

    /** How long to wait for the sidecars to log keys; empty without --decrypt. */
    Optional<Duration> keyLogWait() {
        return requested ? Optional.of(timeout == null ? DEFAULT_TIMEOUT : timeout) : Optional.empty();
    }

    /**
     * With --decrypt, after the capture: how many TLS connections the keys decrypt, and which were not decrypted and
     * why (opened before key logging took effect, another workload's, ...), grouped by reason.
     */
    void summarize(StreamTable streams, String file, PrintWriter err) {
        if (!requested) {
            return;
        }
        List<StreamSummary> tls = streams.streams().stream().filter(stream -> stream.decryption() != null).toList();
        long decrypted = tls.stream().filter(stream -> stream.decryption().status().equals(DECRYPTED)).count();
        err.println("meshcap: decryption: " + decrypted + " of " + tls.size() + " TLS connections in " + file
                + " decrypted" + (decrypted == tls.size() ? "" : "; the others, by reason (meshcap streams " + file
                + " lists each):"));
        Map<String, List<Integer>> byReason = new LinkedHashMap<>();
        for (StreamSummary stream : tls) {
            StreamSummary.Decryption decryption = stream.decryption();
            if (!decryption.status().equals(DECRYPTED)) {
                String detail = decryption.detail();
                int colon = detail.indexOf(':');
                String reason = decryption.status() + ": " + (colon < 0 ? detail : detail.substring(0, colon));
                byReason.computeIfAbsent(reason, key -> new ArrayList<>()).add(stream.stream());
            }
        }
        byReason.forEach((reason, ids) -> err.println("  " + (ids.size() == 1 ? "stream " : "streams ")
                + ids.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ": " + reason));
        err.flush();
    }
}
