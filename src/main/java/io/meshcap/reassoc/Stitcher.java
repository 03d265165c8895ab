package io.meshcap.reassoc;

import io.meshcap.MeshcapException;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import io.meshcap.format.PacketView;
import io.meshcap.http.ProxyHeaders;
import io.meshcap.net.Addresses;
import io.meshcap.packet.LinkLayer;
import io.meshcap.packet.TcpHeader;
import io.meshcap.packet.TcpSegment;
import io.meshcap.tls.KeyLog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Function;

/**
 * Lists every TCP connection per leg and joins the legs of one call (design.md, "Telling and joining legs").
 * Passes records through unchanged; feed it a re-associated stream (see {@link Reassociation#streams}), so
 * that outbound app connections on lo show their original destinations.
 *
 * <p><b>Legs.</b> A connection is on lo when its interface is named {@code lo} (or {@code .../lo}, {@code
 * .../lo:PRESET}) or its link header says loopback ({@link LinkLayer#isLoopback}). The pod's addresses are those
 * meshcap wrote into the interface's description ({@code pod-ips=...}), else learned from lo: the app's side of
 * its outbound connections and the app's address the sidecar connects to from 127.0.0.6. An eth0 connection to
 * a pod address is inbound, one from a pod address outbound. Where the addresses cannot tell (a capture of one eth0
 * leg without a description), the preset in the interface's name ({@code reviews-v1/eth0:inbound-mtls}) does.
 *
 * <p><b>Joins.</b> Outbound: the lo app connection {@code POD_IP:eph > ORIG:port} continues on an eth0
 * connection from the same pod address to the same port that was opened while the app's connection was open, or
 * that was already open then (a pooled upstream) and had seen no FIN or RST yet. Inbound: the eth0 connection
 * {@code C:eph > POD_IP:P} continues on a lo connection {@code 127.0.0.6:eph > POD_IP:P} opened while it was open,
 * or already open (and not closing); so does the self-call path's lo connection {@code POD_IP:eph > POD_IP:P} (the sidecar calling its own pod). A
 * join is reported only when the candidate is the only one each way; otherwise every candidate is listed with its
 * reason, because pooling and HTTP/2 multiplex calls over connections and the capture cannot tell which.
 *
 * <p>Memory grows with the number of connections (it is a report of them); a ClientHello is buffered only
 * until it is parsed, at most {@value ClientHello#MAX_LENGTH} bytes per connection.
 */
public final class Stitcher implements ChainedTransform.Next {

    private static final String LOOPBACK_INTERFACE = "lo";
    /** Istio's inbound bind address for IPv6 sits on lo but is not ::1. */
    private static final byte[] ISTIO_INBOUND_BIND_IPV6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6};
    private static final int IPV4_LOOPBACK_NETWORK = 127;
    private static final double NANOS_PER_MILLI = 1e6;

    /** Each interface's ports, as first seen. */
    private final PerInterface<RedirectPorts> portsById;
    /** What each interface's name and description say about it. */
    private final PerInterface<DeclaredLeg> declaredById = new PerInterface<>(DeclaredLeg::of);
    /** Keys for the mTLS legs; connections are read for requests only while there are some. */
    private KeyLog keys;
    private final StreamIndex current = new StreamIndex();
    /** The endpoints of the packet being looked at. */
    private final FlowEndpoint.Flow flow = new FlowEndpoint.Flow();
    private final List<TcpStream> streams = new ArrayList<>();
    private long position;
    /** The segment of a packet handed over without one, parsed into the same views each time. */
    private final TcpSegment packetSegment = TcpSegment.reusable();

    /** @param ports the REDIRECT ports, so that lo connections that were not re-associated are named as such */
    public Stitcher(RedirectPorts ports) {
        this(RedirectPortsByInterface.everywhere(ports));
    }

    /** @param ports each interface's REDIRECT ports (a capture of several pods) */
    public Stitcher(RedirectPortsByInterface ports) {
        this(ports, KeyLog.empty());
    }

    /**
     * @param ports each interface's REDIRECT ports
     * @param keys  TLS keys to read the mTLS legs with, to join legs by the requests they carried; more may come
     *              with {@link #addKeys} while the records go by
     */
    public Stitcher(RedirectPortsByInterface ports, KeyLog keys) {
        this.portsById = new PerInterface<>(ports::of);
        this.keys = keys;
    }

    @Override
    public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
        see(captureInterface, record.interfaceId(), record.timestampNanos(), record.data(), 0,
                record.capturedLength(), ChainedTransform.segment(captureInterface, record));
        return List.of(record);
    }

    /** Looks at the packet where it lies, in its reader's buffer, and passes it on. */
    @Override
    public boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
        return pass(captureInterface, packet, ChainedTransform.segment(captureInterface, packet, packetSegment),
                before);
    }

    /** {@link #pass(CaptureInterface, PacketView, List)} with the packet's segment parsed already. */
    @Override
    public boolean pass(CaptureInterface captureInterface, PacketView packet, TcpSegment segment,
                        List<CaptureRecord> before) {
        see(captureInterface, packet.interfaceId(), packet.timestampNanos(), packet.bytes(), packet.offset(),
                packet.end(), segment);
        return true;
    }

    /**
     * Counts the packet that lies in {@code bytes} from {@code from} to {@code end} to its connection.
     *
     * @param segment the packet's TCP segment, or null when it has none
     */
    private void see(CaptureInterface captureInterface, int interfaceId, long timestampNanos, byte[] bytes, int from,
                     int end, TcpSegment segment) {
        long index = position++;
        portsById.get(interfaceId, captureInterface);
        declaredById.get(interfaceId, captureInterface);
        if (segment == null) {
            return;
        }
        TcpHeader tcp = segment.tcp();
        flow.read(segment);
        TcpStream stream = current.find(interfaceId, flow);
        if (stream == null || tcp.isSyn() && stream.reusedBy(flow.from(stream.client), tcp.sequence())) {
            stream = newStream(captureInterface, interfaceId, timestampNanos, bytes, from, end, segment, index);
            streams.add(stream);
            current.put(stream);
        }
        stream.add(flow.from(stream.client), segment, bytes, timestampNanos);
    }

    private TcpStream newStream(CaptureInterface captureInterface, int interfaceId, long timestampNanos, byte[] bytes,
                                int from, int end, TcpSegment segment, long index) {
        TcpHeader tcp = segment.tcp();
        FlowEndpoint source = FlowEndpoint.source(segment);
        FlowEndpoint destination = FlowEndpoint.destination(segment);
        boolean syn = tcp.isSyn();
        boolean sourceIsClient = syn || source.port() > destination.port();
        int linkType = captureInterface.linkType();
        return new TcpStream(streams.size(), interfaceId, name(captureInterface, interfaceId),
                onLoopback(captureInterface, linkType, LinkLayer.isLoopback(linkType, bytes, from, end), source,
                        destination),
                sourceIsClient ? source : destination, sourceIsClient ? destination : source,
                syn ? tcp.sequence() : -1, index, timestampNanos,
                keys.isEmpty() ? null : new ConnectionContent(() -> keys, ProxyHeaders.bundled()));
    }

    /**
     * Keys found while the records go by (a capture's Decryption Secrets Blocks): they count for connections whose
     * handshake comes after them, as in Wireshark.
     */
    public void addKeys(KeyLog more) {
        keys = keys.plus(more);
    }

    /** Classifies every connection and joins the legs. Call after the last record. */
    public StreamTable table() {
        Set<FlowAddress> podAddresses = new HashSet<>();
        for (TcpStream stream : streams) {
            if (stream.onLoopback && !portsOf(stream).isRedirectTarget(stream.server)) {
                if (!loopback(stream.client)) {
                    podAddresses.add(FlowAddress.of(stream.client));
                } else if (!loopback(stream.server)) {
                    podAddresses.add(FlowAddress.of(stream.server));
                }
            }
        }
        for (TcpStream stream : streams) {
            stream.leg = leg(stream, podAddresses);
            if (stream.content != null) {
                stream.content.finish();
            }
        }
        List<StreamTable.Join> joins = new ArrayList<>();
        List<StreamTable.Ambiguity> ambiguous = new ArrayList<>();
        Set<TcpStream> settled = new HashSet<>();
        // Outbound: the pod address and the port; inbound: the pod address and port the client called. By content,
        // the pod address alone: a Service port may lead to another container port.
        Function<TcpStream, Object> clientAddress = stream -> FlowAddress.of(stream.client);
        Function<TcpStream, Object> serverAddress = stream -> FlowAddress.of(stream.server);
        joinExactly("outbound", Leg.OUTBOUND_PLAIN, Leg.OUTBOUND_MTLS, clientAddress, clientAddress, joins, ambiguous,
                settled);
        join("outbound", Leg.OUTBOUND_PLAIN, Leg.OUTBOUND_MTLS,
                app -> List.of(FlowAddress.of(app.client), app.server.port()),
                upstream -> List.of(FlowAddress.of(upstream.client), upstream.server.port()),
                Stitcher::outboundCandidate, settled, joins, ambiguous);
        joinExactly("inbound", Leg.INBOUND_MTLS, Leg.INBOUND_PLAIN, serverAddress, serverAddress, joins, ambiguous,
                settled);
        join("inbound", Leg.INBOUND_MTLS, Leg.INBOUND_PLAIN, fromClient -> fromClient.server, toApp -> toApp.server,
                Stitcher::inboundCandidate, settled, joins, ambiguous);
        // The self-call path enters the inbound side over lo instead of eth0 and continues the same way.
        joinExactly("self-call", Leg.SELF_CALL, Leg.INBOUND_PLAIN, serverAddress, serverAddress, joins, ambiguous,
                settled);
        join("self-call", Leg.SELF_CALL, Leg.INBOUND_PLAIN, proxy -> proxy.server, toApp -> toApp.server,
                Stitcher::inboundCandidate, settled, joins, ambiguous);
        Map<TcpStream, StreamSummary.Decryption> decryption = DecryptionStatus.of(streams, !keys.isEmpty());
        return new StreamTable(streams.stream().map(stream -> stream.summary(decryption.get(stream))).toList(), joins,
                ambiguous);
    }

    /** Joins by content (see {@link ExactJoins}); the connections it settles are left out of the timing rule. */
    private void joinExactly(String direction, Leg fromLeg, Leg toLeg, Function<TcpStream, Object> fromGroup,
                             Function<TcpStream, Object> toGroup, List<StreamTable.Join> joins,
                             List<StreamTable.Ambiguity> ambiguous, Set<TcpStream> settled) {
        if (keys.isEmpty()) {
            return;
        }
        ExactJoins.Found found = ExactJoins.find(direction, streams, fromLeg, toLeg, fromGroup, toGroup);
        joins.addAll(found.joins());
        ambiguous.addAll(found.ambiguous());
        settled.addAll(found.settled());
    }

    private RedirectPorts portsOf(TcpStream stream) {
        return portsById.get(stream.interfaceId);
    }

    /** The leg by addresses, or, where they cannot tell, the leg the interface was captured for. */
    private Leg leg(TcpStream stream, Set<FlowAddress> learned) {
        DeclaredLeg declared = declaredById.get(stream.interfaceId);
        Set<FlowAddress> podAddresses = declared.podAddresses().isEmpty() ? learned : declared.podAddresses();
        Leg byAddress = legByAddress(stream, podAddresses);
        return byAddress == Leg.OTHER && declared.leg().isPresent() ? declared.leg().get() : byAddress;
    }

    private Leg legByAddress(TcpStream stream, Set<FlowAddress> podAddresses) {
        boolean loopbackClient = loopback(stream.client);
        boolean loopbackServer = loopback(stream.server);
        if (stream.onLoopback) {
            if (portsOf(stream).isRedirectTarget(stream.server)) {
                return Leg.REDIRECTED;
            }
            if (loopbackClient) {
                return loopbackServer ? Leg.LOCAL : Leg.INBOUND_PLAIN;
            }
            if (loopbackServer) {
                return Leg.OTHER;
            }
            return FlowAddress.of(stream.client).equals(FlowAddress.of(stream.server)) ? Leg.SELF_CALL
                    : Leg.OUTBOUND_PLAIN;
        }
        if (podAddresses.contains(FlowAddress.of(stream.server))) {
            return Leg.INBOUND_MTLS;
        }
        return podAddresses.contains(FlowAddress.of(stream.client)) ? Leg.OUTBOUND_MTLS : Leg.OTHER;
    }

    /**
     * Why {@code upstream} (from the same pod address to the same port: the grouping in {@link #table()} sees to
     * that) may carry the calls of the app connection {@code app}, or null when their times rule it out.
     */
    private static String outboundCandidate(TcpStream app, TcpStream upstream) {
        String where = FlowAddress.of(upstream.server).equals(FlowAddress.of(app.server))
                ? "same destination" : "same port, another address (an endpoint behind the Service)";
        return timing(app, upstream, "upstream connection", where);
    }

    /**
     * Why {@code toApp} (to the same pod address and port, by the grouping) may carry the calls of the client
     * connection {@code fromClient}, or null when their times rule it out.
     */
    private static String inboundCandidate(TcpStream fromClient, TcpStream toApp) {
        return timing(fromClient, toApp, "connection to the app", "same pod address and port");
    }

    /**
     * The later leg must open while the earlier one is open, or be open already (pooled) and not closing: one
     * with a FIN or RST before the earlier leg began takes no new call, however late its last packet comes.
     */
    private static String timing(TcpStream first, TcpStream next, String what, String where) {
        if (next.startNanos >= first.startNanos && next.startNanos <= first.endNanos()) {
            return String.format(Locale.ROOT, "%s, opened %.3f ms after", where,
                    (next.startNanos - first.startNanos) / NANOS_PER_MILLI);
        }
        if (next.startNanos < first.startNanos && next.endNanos() >= first.startNanos
                && !next.closingBefore(first.startNanos)) {
            return where + ", an " + what + " already open (pooled)";
        }
        return null;
    }

    @FunctionalInterface
    private interface CandidateRule {
        String reason(TcpStream from, TcpStream to);
    }

    /**
     * Finds, for every connection of {@code fromLeg}, the {@code toLeg} connections the rule accepts, and reports
     * a join where there is exactly one each way. Only connections in the same group (same pod address and port)
     * that overlap in time are offered to the rule, found with a sweep over start times, so long captures with
     * many connections stay fast.
     */
    private void join(String direction, Leg fromLeg, Leg toLeg, Function<TcpStream, Object> fromGroup,
                      Function<TcpStream, Object> toGroup, CandidateRule rule, Set<TcpStream> settled,
                      List<StreamTable.Join> joins, List<StreamTable.Ambiguity> ambiguous) {
        Map<Object, Overlaps> groups = new HashMap<>();
        for (TcpStream to : streams) {
            if (to.leg == toLeg && !settled.contains(to)) {
                groups.computeIfAbsent(toGroup.apply(to), key -> new Overlaps()).add(to);
            }
        }
        Map<TcpStream, Map<TcpStream, String>> candidates = new LinkedHashMap<>();
        Map<TcpStream, Integer> claims = new HashMap<>();
        for (TcpStream from : streams) {
            Overlaps group = from.leg == fromLeg && !settled.contains(from) ? groups.get(fromGroup.apply(from)) : null;
            if (group == null) {
                continue;
            }
            Map<TcpStream, String> found = new LinkedHashMap<>();
            for (TcpStream to : group.overlapping(from)) {
                String reason = rule.reason(from, to);
                if (reason != null) {
                    found.put(to, reason);
                    claims.merge(to, 1, Integer::sum);
                }
            }
            candidates.put(from, found);
        }
        for (Map.Entry<TcpStream, Map<TcpStream, String>> entry : candidates.entrySet()) {
            Map<TcpStream, String> found = entry.getValue();
            if (found.size() == 1 && claims.get(found.keySet().iterator().next()) == 1) {
                Map.Entry<TcpStream, String> only = found.entrySet().iterator().next();
                joins.add(new StreamTable.Join(direction, entry.getKey().id, only.getKey().id, only.getValue()));
            } else if (!found.isEmpty()) {
                List<StreamTable.Candidate> listed = new ArrayList<>();
                found.forEach((to, reason) -> listed.add(new StreamTable.Candidate(to.id,
                        claims.get(to) > 1 ? reason + "; also a candidate for " + (claims.get(to) - 1) + " other"
                                + (claims.get(to) == 2 ? " stream" : " streams") : reason)));
                ambiguous.add(new StreamTable.Ambiguity(direction, entry.getKey().id, listed));
            }
        }
    }

    /**
     * The connections of one group in start order, answering "which of you overlap this connection" for
     * connections asked about in start order (as {@link #streams} is): those already open when it started (kept
     * in a queue by end time, so finished ones drop out) and those that started while it was open (a binary
     * search over the start times).
     */
    private static final class Overlaps {
        private final List<TcpStream> byStart = new ArrayList<>();
        private final PriorityQueue<TcpStream> open = new PriorityQueue<>(Comparator.comparingLong(TcpStream::endNanos));
        private int admitted;

        void add(TcpStream stream) {
            byStart.add(stream);
        }

        List<TcpStream> overlapping(TcpStream from) {
            while (admitted < byStart.size() && byStart.get(admitted).startNanos < from.startNanos) {
                open.add(byStart.get(admitted++));
            }
            while (!open.isEmpty() && open.peek().endNanos() < from.startNanos) {
                open.poll();
            }
            List<TcpStream> overlapping = new ArrayList<>(open);
            overlapping.sort(Comparator.comparingInt(stream -> stream.id));
            for (int i = admitted; i < byStart.size() && byStart.get(i).startNanos <= from.endNanos(); i++) {
                overlapping.add(byStart.get(i));
            }
            return overlapping;
        }
    }

    /** @param loopbackLink what the packet's link header says ({@link LinkLayer#isLoopback}) */
    private static boolean onLoopback(CaptureInterface captureInterface, int linkType, boolean loopbackLink,
                                      FlowEndpoint source, FlowEndpoint destination) {
        String name = captureInterface.name();
        // "lo", "reviews-v1/lo", "reviews-v1/lo:outbound-plain", and "lo.pcap" (merge names a nameless pcap
        // interface after its file).
        String last = DeclaredLeg.device(name);
        if (last.equals(LOOPBACK_INTERFACE) || last.startsWith(LOOPBACK_INTERFACE + ".")) {
            return true;
        }
        if (linkType == LinkType.RAW || linkType == LinkType.IPV4 || linkType == LinkType.IPV6) {
            // No link header to ask: a loopback address can only be on lo.
            return loopback(source) || loopback(destination);
        }
        return loopbackLink;
    }

    /** A loopback address, or Istio's IPv6 inbound bind address {@code ::6}, which lives on lo too. */
    private static boolean loopback(FlowEndpoint endpoint) {
        byte[] address = endpoint.address();
        if (!endpoint.isIpv6()) {
            return (address[0] & 0xff) == IPV4_LOOPBACK_NETWORK;
        }
        return endpoint.inetAddress().isLoopbackAddress() || Arrays.equals(address, ISTIO_INBOUND_BIND_IPV6);
    }

    private static String name(CaptureInterface captureInterface, int interfaceId) {
        return captureInterface.name() != null ? captureInterface.name() : "if" + interfaceId;
    }

    /** An endpoint's address alone, for comparing hosts regardless of port. */
    private record FlowAddress(FlowEndpoint withPortZero) {

        static FlowAddress of(FlowEndpoint endpoint) {
            return new FlowAddress(FlowEndpoint.of(endpoint.address(), 0));
        }
    }

    /**
     * What meshcap wrote about an interface when it captured it: the leg in the name ({@code POD/IF:PRESET}) and the
     * pod's addresses in the description ({@code ...; pod-ips=10.1.2.3,fd00::3; ...}).
     */
    private record DeclaredLeg(Optional<Leg> leg, Set<FlowAddress> podAddresses) {

        private static final String PRESET = "preset";

        static DeclaredLeg of(CaptureInterface captureInterface) {
            Map<String, String> description = description(captureInterface.description());
            String name = captureInterface.name();
            String preset = name != null && name.lastIndexOf(':') > name.lastIndexOf('/')
                    ? name.substring(name.lastIndexOf(':') + 1) : description.get(PRESET);
            Set<FlowAddress> addresses = new HashSet<>();
            for (String ip : description.getOrDefault(CaptureInterface.POD_IPS_KEY, "").split(",")) {
                try {
                    addresses.add(FlowAddress.of(FlowEndpoint.of(Addresses.parse(ip.strip(), CaptureInterface.POD_IPS_KEY), 0)));
                } catch (MeshcapException e) {
                    // Someone else's description, or an empty list: the addresses are learned from lo instead.
                }
            }
            return new DeclaredLeg(preset == null ? Optional.empty() : Leg.byLabel(preset), addresses);
        }

        /** The device part of an interface name: {@code lo} of {@code reviews-v1/lo:outbound-plain}. */
        static String device(String name) {
            if (name == null) {
                return "";
            }
            String last = name.substring(name.lastIndexOf('/') + 1);
            int preset = last.indexOf(':');
            return preset < 0 ? last : last.substring(0, preset);
        }

        /** {@code key=value; key=value}, as meshcap writes if_description; anything else gives no entries. */
        private static Map<String, String> description(String text) {
            Map<String, String> entries = new HashMap<>();
            if (text != null) {
                for (String part : text.split("; ")) {
                    int equals = part.indexOf('=');
                    if (equals > 0) {
                        entries.put(part.substring(0, equals).strip(), part.substring(equals + 1).strip());
                    }
                }
            }
            return entries;
        }
    }
}
