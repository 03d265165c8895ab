package io.meshcap.demo;

import io.meshcap.reassoc.Leg;
import io.meshcap.reassoc.StreamSummary;
import io.meshcap.reassoc.StreamTable;
import io.meshcap.tls.TlsReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How many calls of each sidecar leg the demo's file lets Wireshark read: the HTTP requests meshcap itself read on
 * the leg, on an mTLS leg by decrypting its connections with the key log written into the file (as Wireshark does
 * with it), and how many of the leg's TLS connections that key log decrypted.
 */
final class Readability {

    private static final List<Leg> LEGS = List.of(Leg.INBOUND_MTLS, Leg.INBOUND_PLAIN, Leg.OUTBOUND_PLAIN,
            Leg.OUTBOUND_MTLS);

    private Readability() {
    }

    /** {@code inbound-mtls 4 calls decrypted (4 of 4 TLS connections), inbound-plain 4 calls in plaintext, ...}. */
    static String of(StreamTable streams) {
        List<String> parts = new ArrayList<>();
        for (Leg leg : LEGS) {
            List<StreamSummary> connections = streams.streams().stream()
                    .filter(s -> s.leg().equals(leg.label())).toList();
            if (connections.isEmpty()) {
                continue;
            }
            int calls = connections.stream().map(StreamSummary::requests).filter(Objects::nonNull)
                    .mapToInt(Integer::intValue).sum();
            if (!leg.mutualTls()) {
                parts.add(leg.label() + " " + calls + " calls in plaintext");
                continue;
            }
            long decrypted = connections.stream().filter(s -> s.decryption() != null
                    && s.decryption().status().equals(TlsReport.Status.DECRYPTED.label())).count();
            long tls = connections.stream().filter(s -> s.decryption() != null).count();
            parts.add(leg.label() + " " + calls + " calls decrypted (" + decrypted + " of " + tls
                    + " TLS connections)");
        }
        return parts.isEmpty() ? "no calls" : String.join(", ", parts);
    }
}
