package io.meshcap.reassoc;

import io.meshcap.tls.TlsReport;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Says for each TLS connection whether it could be decrypted and, where not, why in the user's terms. A key log
 * has no times, but a sidecar logs every connection it makes or accepts once logging is on; so on an interface where
 * some connections have keys, one without a key that began before the first of them was opened before key logging
 * started (a pooled upstream lives long), and one that began after was not the logging sidecar's.
 */
final class DecryptionStatus {

    static final String NO_KEY_LOG = "no key log";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private DecryptionStatus() {
    }

    /**
     * The status of every TLS connection among {@code streams}; the others have none.
     *
     * @param keys whether any key was known while the capture was read
     */
    static Map<TcpStream, StreamSummary.Decryption> of(List<TcpStream> streams, boolean keys) {
        Map<Integer, TcpStream> firstKeyed = new HashMap<>();
        for (TcpStream stream : streams) {
            TlsReport report = report(stream);
            if (report != null && (report.status() == TlsReport.Status.DECRYPTED
                    || report.status() == TlsReport.Status.KEY_MISMATCH)) {
                firstKeyed.putIfAbsent(stream.interfaceId, stream);
            }
        }
        Map<TcpStream, StreamSummary.Decryption> statuses = new HashMap<>();
        for (TcpStream stream : streams) {
            TlsReport report = report(stream);
            if (report != null) {
                statuses.put(stream, of(stream, report, firstKeyed.get(stream.interfaceId)));
            } else if (stream.tls()) {
                statuses.put(stream, new StreamSummary.Decryption(NO_KEY_LOG, keys
                        ? "the capture's key log comes after this connection began"
                        : "the capture holds no key log (Decryption Secrets Block) and none was given with --tls-keylog"));
            }
        }
        return statuses;
    }

    private static TlsReport report(TcpStream stream) {
        return stream.content == null ? null : stream.content.tls().orElse(null);
    }

    private static StreamSummary.Decryption of(TcpStream stream, TlsReport report, TcpStream firstKeyed) {
        String detail = report.detail();
        if (report.status() == TlsReport.Status.NO_KEY) {
            if (firstKeyed == null) {
                detail = "the key log has no key for any TLS connection on " + stream.interfaceName
                        + " (" + report.detail() + ")";
            } else if (stream.startNanos < firstKeyed.startNanos) {
                detail = "opened before key logging started: the first connection on " + stream.interfaceName
                        + " with a key (stream " + firstKeyed.id + ") opened at " + time(firstKeyed.startNanos)
                        + ", this one at " + time(stream.startNanos);
            } else {
                detail = "no key for its client random although later connections on " + stream.interfaceName
                        + " have keys: its TLS endpoints did not log it (another workload, or a client outside the mesh)";
            }
        }
        if (!report.notes().isEmpty()) {
            detail += "; " + String.join("; ", report.notes());
        }
        return new StreamSummary.Decryption(report.status().label(), detail);
    }

    private static String time(long nanos) {
        return TIME.format(Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND),
                Math.floorMod(nanos, NANOS_PER_SECOND)));
    }
}
