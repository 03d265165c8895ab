package io.meshcap.demo;

import io.meshcap.reassoc.Leg;
import io.meshcap.reassoc.StreamSummary;
import io.meshcap.reassoc.StreamTable;
import io.meshcap.tls.KeyLog;
import java.util.ArrayList;
import java.util.List;

/**
 * How many calls of each sidecar leg a capture lets Wireshark read: a plaintext leg's all, an mTLS leg's those whose
 * ClientHello random has keys in the key log written into the file.
 */
final class Readability {

    private static final List<Leg> LEGS = List.of(Leg.INBOUND_MTLS, Leg.INBOUND_PLAIN, Leg.OUTBOUND_PLAIN,
            Leg.OUTBOUND_MTLS);

    private Readability() {
    }

    /** {@code inbound-mtls 4 of 4 calls decrypted, inbound-plain 4 plaintext, ...}, one entry per leg seen. */
    static String of(StreamTable streams, KeyLog keys) {
        List<String> parts = new ArrayList<>();
        for (Leg leg : LEGS) {
            List<StreamSummary> calls = streams.streams().stream().filter(s -> s.leg().equals(leg.label())).toList();
            if (calls.isEmpty()) {
                continue;
            }
            if (!leg.mutualTls()) {
                parts.add(leg.label() + " " + calls.size() + " plaintext");
                continue;
            }
            long decrypted = calls.stream()
                    .filter(call -> call.tls() != null && keys.hasKeysFor(call.tls().clientRandom())).count();
            parts.add(leg.label() + " " + decrypted + " of " + calls.size() + " calls decrypted");
        }
        return parts.isEmpty() ? "no calls" : String.join(", ", parts);
    }
}
