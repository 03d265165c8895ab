package io.meshcap.reassoc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meshcap.text.TextTable;
import io.meshcap.tls.TlsReport;
import io.meshcap.tls.WiresharkPorts;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Every TCP connection of a capture per leg, and how the legs of one call join: what {@code meshcap streams}
 * prints and what {@code merge --reassociate} writes as comments on each connection's first packet.
 *
 * @param streams   every connection, in order of first packet
 * @param joins     legs joined with certainty: exactly one candidate each way
 * @param ambiguous legs with several candidates (pooling, HTTP/2, concurrent calls), listed instead of guessed
 */
public record StreamTable(List<StreamSummary> streams, List<Join> joins, List<Ambiguity> ambiguous) {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final String PLAINTEXT = "plaintext";
    private static final String DECRYPTED = TlsReport.Status.DECRYPTED.label();

    public StreamTable {
        streams = List.copyOf(streams);
        joins = List.copyOf(joins);
        ambiguous = List.copyOf(ambiguous);
    }

    /**
     * Two legs of one call.
     *
     * @param direction {@code outbound} (lo app leg to eth0 upstream leg), {@code inbound} (eth0 client leg to
     *                  lo sidecar-to-app leg) or {@code self-call} (lo sidecar-to-own-pod leg to lo sidecar-to-app leg)
     * @param from      the leg the call starts on: the lo app connection (outbound) or the eth0 client
     *                  connection (inbound)
     * @param to        the leg it continues on
     * @param reason    why they belong together: {@code joined exactly (same request): ...} when both legs' requests
     *                  were read and are the same, otherwise the timing rule's reason
     * @param call      the request both legs carried, for a join by content; {@code null} for a join by timing
     */
    public record Join(String direction, int from, int to, String reason, Call call) {

        /** A join by timing: the legs' connections, not a request. */
        public Join(String direction, int from, int to, String reason) {
            this(direction, from, to, reason, null);
        }
    }

    /**
     * The one call two legs were joined by.
     *
     * @param fromRequest which request it is on the {@code from} connection, counting from 1
     * @param toRequest   which request it is on the {@code to} connection, counting from 1
     * @param request     method and target, e.g. {@code GET /reviews/1}
     * @param requestId   the {@code x-request-id} the legs share, or the one the sidecar added; {@code null} if none
     */
    public record Call(int fromRequest, int toRequest, String request, String requestId) {
    }

    /**
     * A leg whose continuation cannot be told for sure.
     *
     * @param direction  as in {@link Join}
     * @param from       the leg the call starts on
     * @param candidates every leg it may continue on, with why
     */
    public record Ambiguity(String direction, int from, List<Candidate> candidates) {

        public Ambiguity {
            candidates = List.copyOf(candidates);
        }
    }

    /** A possible continuation of a leg and why it qualifies. */
    public record Candidate(int stream, String reason) {
    }

    /**
     * Jackson's object mapper, started only by {@link #toJson()}: {@code merge --reassociate} builds a stream table
     * on every run but prints it never, and starting the mapper cost it about 0.15 s of CPU.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stream table always serialises", e);
        }
    }

    /** The table for people: one line per connection, then the joins and the ambiguities. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        TextTable table = new TextTable("stream", "start (UTC)", "leg", "client", "server", "interface", "packets",
                "state", "decryption", "tls");
        for (StreamSummary stream : streams) {
            table.row(stream.stream(), TIME.format(instant(stream.startNanos())), stream.leg(), stream.client(),
                    stream.server(), stream.interfaceName(), stream.packetsToServer() + stream.packetsToClient(),
                    stream.state(), stream.decryption() == null ? null : stream.decryption().status(),
                    stream.tls() != null ? tls(stream.tls()) : stream.plaintext() ? PLAINTEXT : null);
        }
        text.append(table.format(""));
        describeDecryption(text);
        text.append(String.format("%njoins (%d):%n", joins.size()));
        for (Join join : joins) {
            text.append(String.format(Locale.ROOT, "  %-8s stream %d <-> stream %d: %s%n", join.direction(),
                    join.from(), join.to(), join.reason()));
        }
        text.append(String.format("ambiguous (%d):%n", ambiguous.size()));
        for (Ambiguity ambiguity : ambiguous) {
            text.append(String.format(Locale.ROOT, "  %-8s stream %d, candidates:%n", ambiguity.direction(),
                    ambiguity.from()));
            for (Candidate candidate : ambiguity.candidates()) {
                text.append(String.format(Locale.ROOT, "             stream %d: %s%n", candidate.stream(),
                        candidate.reason()));
            }
        }
        List<String> plaintext = plaintextOnMutualTlsLegs();
        if (!plaintext.isEmpty()) {
            text.append(String.format("plaintext on mTLS legs (%d):%n", plaintext.size()));
            plaintext.forEach(warning -> text.append("  ").append(warning).append(System.lineSeparator()));
        }
        text.append(String.format("legs:%n"));
        for (Leg leg : Leg.values()) {
            text.append(String.format(Locale.ROOT, "  %-15s %s%n", leg.label(), leg.meaning()));
        }
        return text.toString();
    }

    /**
     * One line per server port of TLS connections that Wireshark dissects as another protocol (8080 as HTTP): there it
     * does not look for TLS, so the keys in the file decrypt those connections only once the port is decoded as TLS,
     * which a pcapng cannot say for the user.
     */
    public List<String> tlsOnPortsWiresharkGivesToOtherProtocols() {
        Map<Integer, Long> byPort = streams.stream().filter(s -> s.tls() != null)
                .collect(Collectors.groupingBy(s -> Integer.parseInt(s.server().substring(s.server().lastIndexOf(':') + 1)),
                        TreeMap::new, Collectors.counting()));
        List<String> notes = new ArrayList<>();
        byPort.forEach((port, count) -> WiresharkPorts.bundled().protocolOf(port).ifPresent(protocol -> notes.add(
                "Wireshark dissects port " + port + " as " + protocol + ", not TLS: to read its " + count
                        + " TLS connection" + (count == 1 ? "" : "s") + ", decode the port as TLS: tshark -d tcp.port=="
                        + port + ",tls (Wireshark: Analyze > Decode As)")));
        return notes;
    }

    /**
     * One line per interface and mTLS leg whose connections carry plaintext, with what that says about the mesh: an
     * "mTLS" leg in PERMISSIVE (or DISABLE) mode passes plaintext without a word otherwise.
     */
    public List<String> plaintextOnMutualTlsLegs() {
        Map<String, List<StreamSummary>> byLeg = new LinkedHashMap<>();
        for (StreamSummary stream : streams) {
            if (Leg.byLabel(stream.leg()).map(Leg::mutualTls).orElse(false)) {
                String name = stream.interfaceName();
                byLeg.computeIfAbsent(name.endsWith(":" + stream.leg()) ? name : name + " (" + stream.leg() + ")",
                        key -> new ArrayList<>()).add(stream);
            }
        }
        List<String> warnings = new ArrayList<>();
        byLeg.forEach((leg, legStreams) -> {
            List<StreamSummary> plain = legStreams.stream().filter(StreamSummary::plaintext).toList();
            if (!plain.isEmpty()) {
                warnings.add(leg + ": " + plain.size() + " of " + legStreams.size() + " connections carry plaintext, not"
                        + " TLS (stream " + plain.stream().map(p -> String.valueOf(p.stream())).collect(Collectors.joining(", "))
                        + "): " + (plain.get(0).leg().equals(Leg.INBOUND_MTLS.label())
                                ? "the pod accepts plaintext (PeerAuthentication mode PERMISSIVE or DISABLE) and these"
                                        + " clients have no sidecar, or bypass it"
                                : "the proxy sends plaintext upstream (a destination outside the mesh, or TLS disabled by"
                                        + " a DestinationRule), or these calls bypassed the proxy"));
            }
        });
        return warnings;
    }

    /**
     * How many TLS connections were decrypted, and why each of the others was not, grouped by reason: a capture of a
     * pooled mesh has many connections opened before key logging started.
     */
    private void describeDecryption(StringBuilder text) {
        List<StreamSummary> tls = streams.stream().filter(stream -> stream.decryption() != null).toList();
        if (tls.isEmpty()) {
            return;
        }
        long decrypted = tls.stream().filter(stream -> stream.decryption().status().equals(DECRYPTED)).count();
        long exact = joins.stream().filter(join -> join.call() != null).count();
        text.append(String.format(Locale.ROOT, "%ndecryption: %d of %d TLS connections decrypted; %d of %d joins "
                + "exact (same request)%n", decrypted, tls.size(), exact, joins.size()));
        Map<String, List<Integer>> byReason = new LinkedHashMap<>();
        for (StreamSummary stream : tls) {
            if (!stream.decryption().status().equals(DECRYPTED)) {
                byReason.computeIfAbsent(stream.decryption().status() + ": " + stream.decryption().detail(),
                        reason -> new ArrayList<>()).add(stream.stream());
            }
        }
        byReason.forEach((reason, ids) -> text.append(String.format(Locale.ROOT, "  %s %s: %s%n",
                ids.size() == 1 ? "stream" : "streams", ids.stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")), reason)));
    }

    /**
     * The comment for the first packet of each connection, keyed by that packet's 0-based position in the record
     * stream the table was built from: the connection's leg, its TLS hello, and its join or candidates.
     */
    public Map<Long, String> firstPacketComments() {
        Map<Integer, List<String>> notes = new HashMap<>();
        Map<List<Integer>, Long> exactPerPair = new LinkedHashMap<>();
        for (Join join : joins) {
            if (join.call() != null) {
                exactPerPair.merge(List.of(join.from(), join.to()), 1L, Long::sum);
                continue;
            }
            notes.computeIfAbsent(join.from(), id -> new ArrayList<>())
                    .add("joined with stream " + join.to() + " " + streams.get(join.to()).describe() + ": "
                            + join.reason());
            notes.computeIfAbsent(join.to(), id -> new ArrayList<>())
                    .add("joined with stream " + join.from() + " " + streams.get(join.from()).describe() + ": "
                            + join.reason());
        }
        // A pooled pair may share thousands of calls: one note per pair, not per call.
        exactPerPair.forEach((pair, calls) -> {
            String what = calls == 1 ? "the same request" : calls + " requests, each the same on both";
            notes.computeIfAbsent(pair.get(0), id -> new ArrayList<>()).add("joined exactly with stream " + pair.get(1)
                    + " " + streams.get(pair.get(1)).describe() + ": " + what);
            notes.computeIfAbsent(pair.get(1), id -> new ArrayList<>()).add("joined exactly with stream " + pair.get(0)
                    + " " + streams.get(pair.get(0)).describe() + ": " + what);
        });
        for (Ambiguity ambiguity : ambiguous) {
            List<String> candidates = new ArrayList<>();
            for (Candidate candidate : ambiguity.candidates()) {
                candidates.add("stream " + candidate.stream() + " " + streams.get(candidate.stream()).describe()
                        + " (" + candidate.reason() + ")");
                notes.computeIfAbsent(candidate.stream(), id -> new ArrayList<>())
                        .add("may continue stream " + ambiguity.from() + " " + streams.get(ambiguity.from()).describe()
                                + " (" + candidate.reason() + "); other candidates exist");
            }
            notes.computeIfAbsent(ambiguity.from(), id -> new ArrayList<>())
                    .add("not joined, candidates: " + String.join("; ", candidates));
        }
        Map<Long, String> comments = new HashMap<>();
        for (StreamSummary stream : streams) {
            StringBuilder comment = new StringBuilder("meshcap stream ").append(stream.stream()).append(": ")
                    .append(stream.describe());
            if (stream.tls() != null) {
                comment.append("; ").append(tls(stream.tls()));
            }
            if (stream.decryption() != null) {
                comment.append("; decryption: ").append(stream.decryption().status());
            }
            for (String note : notes.getOrDefault(stream.stream(), List.of())) {
                comment.append("; ").append(note);
            }
            if (stream.plaintext() && Leg.byLabel(stream.leg()).map(Leg::mutualTls).orElse(false)) {
                comment.append("; plaintext on an mTLS leg, not TLS");
            }
            comments.put(stream.firstFrame() - 1, comment.toString());
        }
        return comments;
    }

    private static String tls(StreamSummary.Tls tls) {
        return (tls.istio() ? "Istio mTLS" : "TLS") + " (SNI " + (tls.sni() == null ? "none" : tls.sni())
                + ", ALPN " + (tls.alpn().isEmpty() ? "none" : String.join(",", tls.alpn())) + ")";
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND), Math.floorMod(nanos, NANOS_PER_SECOND));
    }
}
