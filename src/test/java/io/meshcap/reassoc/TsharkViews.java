package io.meshcap.reassoc;

import io.meshcap.testing.Tshark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** tshark's statistics views, parsed: the independent judge of what re-association wrote. */
final class TsharkViews {

    /** One line of {@code -z conv,tcp}: endpoints as tshark prints them ({@code 2001:2::2:36080}), frames each way. */
    record Conversation(String a, String b, int framesBToA, int framesAToB) {

        boolean between(String x, String y) {
            return a.equals(x) && b.equals(y) || a.equals(y) && b.equals(x);
        }
    }

    /** The bytes each side sent, from {@code -z follow,tcp,ascii,N}. */
    record Follow(String node0, String node1, long bytesFromNode0, long bytesFromNode1, String text) {
    }

    private static final Pattern CONVERSATION = Pattern.compile(
            "^(\\S+)\\s+<->\\s+(\\S+)\\s+(\\d+)\\s+\\d+\\s+\\S+\\s+(\\d+)\\s+\\d+\\s+\\S+\\s+\\d+");
    private static final Pattern NODE = Pattern.compile("^Node ([01]): (.+)$");
    private static final Pattern CHUNK = Pattern.compile("^(\\t?)(\\d+)$");

    private TsharkViews() {
    }

    static List<Conversation> conversations(Path file) {
        List<Conversation> conversations = new ArrayList<>();
        for (String line : Tshark.run(List.of("tshark", "-n", "-r", file.toString(), "-q", "-z", "conv,tcp"))
                .lines().toList()) {
            Matcher matcher = CONVERSATION.matcher(line);
            if (matcher.find()) {
                conversations.add(new Conversation(matcher.group(1), matcher.group(2),
                        Integer.parseInt(matcher.group(3)), Integer.parseInt(matcher.group(4))));
            }
        }
        return conversations;
    }

    /**
     * Follows TCP stream {@code index}. In the ascii output each chunk is a line with its length (tab-indented for
     * node 1) followed by exactly that many characters of data (non-printables as '.', newlines kept), so reading
     * chunk by chunk adds up what each side sent.
     */
    static Follow follow(Path file, int index) {
        String output = Tshark.run(List.of("tshark", "-n", "-r", file.toString(), "-q", "-z",
                "follow,tcp,ascii," + index));
        String[] nodes = new String[2];
        long[] bytes = new long[2];
        int at = 0;
        while (nodes[0] == null || nodes[1] == null) {
            int end = output.indexOf('\n', at);
            Matcher node = NODE.matcher(output.substring(at, end));
            if (node.find()) {
                nodes[Integer.parseInt(node.group(1))] = node.group(2).trim();
            }
            at = end + 1;
        }
        while (at < output.length()) {
            int end = output.indexOf('\n', at);
            Matcher chunk = CHUNK.matcher(output.substring(at, end));
            if (!chunk.matches()) {
                break;
            }
            int length = Integer.parseInt(chunk.group(2));
            bytes[chunk.group(1).isEmpty() ? 0 : 1] += length;
            at = end + 1 + length + 1;
        }
        return new Follow(nodes[0], nodes[1], bytes[0], bytes[1], output);
    }

    /** {@code tcp.stream} of the first packet sent from {@code host}:{@code port}. */
    static int streamFrom(Path file, String host, int port) {
        String field = host.contains(":") ? "ipv6.src" : "ip.src";
        List<List<String>> rows = Tshark.fields(file, field + "==" + host + " && tcp.srcport==" + port, "tcp.stream");
        if (rows.isEmpty()) {
            throw new AssertionError("no packet from " + host + ":" + port + " in " + file);
        }
        return Integer.parseInt(rows.get(0).get(0));
    }
}
