package io.meshcap.istio;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code ss -Htlnupe} output ({@code -H}: no header; {@code -p}: owners; {@code -e}: uids) into sockets;
 * lines it cannot read are returned too. Without {@code -p} or {@code -e} the owners or uids are simply absent.
 */
public final class SsParser {

    /**
     * The command whose output this parses, run inside the target's namespace (locally or in a pod): listening TCP
     * and bound UDP sockets, numeric, with owners and uids.
     */
    public static final List<String> LISTENING_SOCKETS = List.of("ss", "-Htlnupe");

    /** ("envoy",pid=3555,fd=40) */
    private static final Pattern OWNER = Pattern.compile("\\(\"([^\"]*)\",pid=(\\d+),fd=\\d+\\)");
    /** uid:1337, one of -e's fields. */
    private static final Pattern UID = Pattern.compile("(?:^|\\s)uid:(\\d+)");
    private static final int LOCAL_ADDRESS_FIELD = 4;
    private static final int FIRST_PROCESS_FIELD = 6;

    /** The sockets and the lines that were not socket lines. */
    public record Result(List<ListeningSocket> sockets, List<String> unreadable) {
    }

    private SsParser() {
    }

    public static Result parse(String output) {
        List<ListeningSocket> sockets = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (String line : output.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.trim().split("\\s+", FIRST_PROCESS_FIELD + 1);
            if (fields.length <= LOCAL_ADDRESS_FIELD + 1) {
                unreadable.add(line);
                continue;
            }
            String local = fields[LOCAL_ADDRESS_FIELD];
            int colon = local.lastIndexOf(':');
            try {
                int port = Integer.parseInt(local.substring(colon + 1));
                String process = fields.length > FIRST_PROCESS_FIELD ? fields[FIRST_PROCESS_FIELD] : "";
                sockets.add(new ListeningSocket(fields[0], address(local.substring(0, colon)), port, owners(process),
                        uid(process)));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                unreadable.add(line);
            }
        }
        return new Result(sockets, unreadable);
    }

    /** "[::ffff:127.0.0.1]" to "::ffff:127.0.0.1", "127.0.0.53%lo" to "127.0.0.53%lo" kept: the interface matters. */
    private static String address(String text) {
        return text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    }

    private static long uid(String details) {
        Matcher matcher = UID.matcher(details);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }

    /** One owner per process: ss lists every file descriptor, and envoy holds a listener once per worker. */
    private static List<ListeningSocket.Owner> owners(String process) {
        Set<ListeningSocket.Owner> owners = new LinkedHashSet<>();
        Matcher matcher = OWNER.matcher(process);
        while (matcher.find()) {
            owners.add(new ListeningSocket.Owner(matcher.group(1), Long.parseLong(matcher.group(2))));
        }
        return List.copyOf(owners);
    }
}
