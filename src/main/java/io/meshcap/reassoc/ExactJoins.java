package io.meshcap.reassoc;

import io.meshcap.http.ProxyHeaders;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Joins the legs of a call by what the call said: a request read on one leg (the app's plaintext, or decrypted mTLS)
 * is the same call as a request on the other leg when it carries the same request ID, or failing that the same
 * request line, header fields and body (see {@link io.meshcap.http.RequestKey}), and was sent while the first leg's
 * request was outstanding: after it began, before the next request on its connection (HTTP/1.1 sends the next one
 * only after the response, and the response needs the other leg's request first). One join per request, so a pooled
 * connection carrying many calls is split call by call.
 *
 * <p>A request with one such match, which matches no other request, is joined exactly. Several matches (identical
 * requests sent at the same time on several connections, without request IDs) are listed as candidates. Several
 * matches that carry the request's own ID are one call tried several times (Envoy's retries), each attempt joined.
 */
final class ExactJoins {

    /**
     * What was found for one direction.
     *
     * @param settled connections whose calls were joined or listed here: the timing rule leaves them alone
     */
    record Found(List<StreamTable.Join> joins, List<StreamTable.Ambiguity> ambiguous, Set<TcpStream> settled) {
    }

    /** One request on one connection; {@code index} counts from 0. */
    private record CallOn(TcpStream stream, int index, ConnectionContent.Call call) {

        String position() {
            return "request " + (index + 1) + " of " + stream.content.calls().size() + " on stream " + stream.id;
        }
    }

    private ExactJoins() {
    }

    /**
     * Joins the requests of {@code fromLeg} connections to those of {@code toLeg} connections in the same group.
     *
     * @param fromGroup the group a call-starting connection is in (the pod address, say)
     * @param toGroup   the group of a continuing connection, comparable with {@code fromGroup}'s
     */
    static Found find(String direction, List<TcpStream> streams, Leg fromLeg, Leg toLeg,
                      Function<TcpStream, Object> fromGroup, Function<TcpStream, Object> toGroup) {
        // Calls by fingerprint and by request ID, per group.
        Map<Object, Map<Object, List<CallOn>>> index = new HashMap<>();
        for (TcpStream to : streams) {
            if (to.leg == toLeg && to.content != null) {
                List<ConnectionContent.Call> calls = to.content.calls();
                for (int i = 0; i < calls.size(); i++) {
                    Map<Object, List<CallOn>> group = index.computeIfAbsent(toGroup.apply(to), key -> new HashMap<>());
                    CallOn call = new CallOn(to, i, calls.get(i));
                    group.computeIfAbsent(calls.get(i).key().fingerprint(), key -> new ArrayList<>()).add(call);
                    if (calls.get(i).key().requestId() != null) {
                        group.computeIfAbsent(calls.get(i).key().requestId(), key -> new ArrayList<>()).add(call);
                    }
                }
            }
        }
        Map<CallOn, List<CallOn>> matches = new LinkedHashMap<>();
        Map<CallOn, List<CallOn>> claims = new HashMap<>();
        for (TcpStream from : streams) {
            Map<Object, List<CallOn>> group = from.leg == fromLeg && from.content != null
                    ? index.get(fromGroup.apply(from)) : null;
            if (group == null) {
                continue;
            }
            List<ConnectionContent.Call> calls = from.content.calls();
            for (int i = 0; i < calls.size(); i++) {
                CallOn call = new CallOn(from, i, calls.get(i));
                long until = i + 1 < calls.size() ? calls.get(i + 1).startNanos() : from.endNanos();
                List<CallOn> found = sameCalls(call, group, until);
                if (!found.isEmpty()) {
                    matches.put(call, found);
                    found.forEach(match -> claims.computeIfAbsent(match, key -> new ArrayList<>()).add(call));
                }
            }
        }
        Found result = new Found(new ArrayList<>(), new ArrayList<>(), new HashSet<>());
        matches.forEach((call, found) -> report(direction, call, found, claims, result));
        return result;
    }

    /** The requests of {@code group} that are the same call as {@code call} and were sent while it was outstanding. */
    private static List<CallOn> sameCalls(CallOn call, Map<Object, List<CallOn>> group, long until) {
        Set<CallOn> found = new LinkedHashSet<>();
        List<Object> keys = new ArrayList<>(List.of(call.call().key().fingerprint()));
        if (call.call().key().requestId() != null) {
            keys.add(call.call().key().requestId());
        }
        for (Object key : keys) {
            for (CallOn candidate : group.getOrDefault(key, List.of())) {
                long start = candidate.call().startNanos();
                if (start >= call.call().startNanos() && start <= until
                        && call.call().key().sameCall(candidate.call().key())) {
                    found.add(candidate);
                }
            }
        }
        return new ArrayList<>(found);
    }

    private static void report(String direction, CallOn call, List<CallOn> found, Map<CallOn, List<CallOn>> claims,
                               Found result) {
        boolean alone = found.stream().allMatch(match -> claims.get(match).size() == 1);
        boolean attempts = call.call().key().requestId() != null && found.stream()
                .allMatch(match -> call.call().key().requestId().equals(match.call().key().requestId()));
        result.settled().add(call.stream());
        if (alone && (found.size() == 1 || attempts)) {
            for (int i = 0; i < found.size(); i++) {
                CallOn match = found.get(i);
                result.settled().add(match.stream());
                String attempt = found.size() == 1 ? "" : String.format(Locale.ROOT, ", attempt %d of %d", i + 1,
                        found.size());
                result.joins().add(new StreamTable.Join(direction, call.stream().id, match.stream().id,
                        "joined exactly (same request): " + describe(call.call().key().line(),
                                requestId(call, match)) + ", " + call.position() + ", " + match.position() + attempt,
                        new StreamTable.Call(call.index() + 1, match.index() + 1, call.call().key().line(),
                                requestId(call, match))));
            }
            return;
        }
        List<StreamTable.Candidate> candidates = new ArrayList<>();
        for (CallOn match : found) {
            int others = claims.get(match).size() - 1;
            candidates.add(new StreamTable.Candidate(match.stream().id, "the same request "
                    + describe(call.call().key().line(), call.call().key().requestId()) + " ("
                    + call.position() + ", " + match.position() + ")"
                    + (others > 0 ? "; also the same as " + others + " other request" + (others == 1 ? "" : "s")
                    : "")));
        }
        result.ambiguous().add(new StreamTable.Ambiguity(direction, call.stream().id, candidates));
    }

    /** {@code GET /reviews/1 (x-request-id 5e1c...)}. */
    private static String describe(String line, String requestId) {
        return line + (requestId == null ? "" : " (" + ProxyHeaders.bundled().requestId() + " " + requestId + ")");
    }

    /** The request ID the two legs share, if the first carries one; else the one the sidecar added. */
    private static String requestId(CallOn call, CallOn match) {
        return call.call().key().requestId() != null ? call.call().key().requestId() : match.call().key().requestId();
    }
}
