package io.meshcap.istio;

import io.meshcap.istio.NetfilterRule.Key;
import io.meshcap.istio.NetfilterRule.Match;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one table of {@code nft list ruleset} output written by Istio's native nftables mode
 * ({@code table inet istio-proxy-nat} and friends) into the same normalised rules as iptables, so one
 * interpreter serves both: chain {@code istio-output} becomes {@code ISTIO_OUTPUT}, table {@code istio-proxy-nat}
 * becomes {@code nat}, {@code meta skuid 1337} becomes an owner match.
 */
final class NftRulesetParser {

    /** Istio's native tables are named istio-proxy-TABLE (sidecar) or istio-*-TABLE; the last word is the table. */
    static final String ISTIO_TABLE_PREFIX = "istio-";

    private static final Pattern TABLE = Pattern.compile("^table (\\S+) (\\S+) \\{$");
    private static final Pattern CHAIN = Pattern.compile("^chain (\\S+) \\{$");
    private static final Pattern PORT_TARGET = Pattern.compile("^:(\\d+)$");

    private NftRulesetParser() {
    }

    /** Whether a section is one of Istio's native tables. */
    static boolean isIstioTable(RuleSection section) {
        Matcher table = TABLE.matcher(section.lines().get(0).text());
        return table.matches() && table.group(2).startsWith(ISTIO_TABLE_PREFIX);
    }

    static List<NetfilterRule> parse(RuleSection section, List<UnrecognisedRule> unrecognised) {
        List<NetfilterRule> rules = new ArrayList<>();
        String table = null;
        int tableLine = 0;
        String chain = null;
        for (DumpLine line : section.lines()) {
            String text = line.text();
            Matcher tableHeader = TABLE.matcher(text);
            Matcher chainHeader = CHAIN.matcher(text);
            if (tableHeader.matches()) {
                String name = tableHeader.group(2);
                table = name.substring(name.lastIndexOf('-') + 1);
                tableLine = line.number();
            } else if (chainHeader.matches()) {
                chain = iptablesName(chainHeader.group(1));
            } else if (text.equals("}") || text.isEmpty() || text.startsWith("#")) {
                // Block ends, spacing and comments carry no rules.
            } else if (text.startsWith("type ")) {
                // A base chain's hook declaration: the chain name already says which hook.
            } else if (chain == null) {
                unrecognised.add(new UnrecognisedRule(line.number(), text, "outside any chain (sets and maps are not read)"));
            } else {
                try {
                    rules.add(rule(line, table, tableLine, chain));
                } catch (IllegalArgumentException e) {
                    unrecognised.add(new UnrecognisedRule(line.number(), text, e.getMessage()));
                }
            }
        }
        return rules;
    }

    /** istio-output-dns becomes ISTIO_OUTPUT_DNS and prerouting PREROUTING, the names the interpreter knows. */
    static String iptablesName(String nftName) {
        return nftName.replace('-', '_').toUpperCase(Locale.ROOT);
    }

    private static NetfilterRule rule(DumpLine line, String table, int tableLine, String chain) {
        List<String> words = Tokens.split(line.text().replace("{", " { ").replace("}", " } ").replace(",", " , "));
        Map<Key, Match> matches = new EnumMap<>(Key.class);
        String target = null;
        int targetPort = 0;
        String targetMark = null;
        Cursor in = new Cursor(words);
        while (in.more()) {
            String word = in.next();
            switch (word) {
                case "ip", "ip6" -> {
                    String field = in.next();
                    Key key = switch (field) {
                        case "saddr" -> Key.SOURCE;
                        case "daddr" -> Key.DESTINATION;
                        case "protocol", "nexthdr" -> Key.PROTOCOL;
                        default -> throw new IllegalArgumentException("unknown expression " + word + " " + field);
                    };
                    put(matches, key, in);
                }
                case "iifname" -> put(matches, Key.IN_INTERFACE, in);
                case "oifname" -> put(matches, Key.OUT_INTERFACE, in);
                case "tcp", "udp" -> {
                    String field = in.next();
                    Key key = switch (field) {
                        case "dport" -> Key.DESTINATION_PORTS;
                        case "sport" -> Key.SOURCE_PORTS;
                        default -> throw new IllegalArgumentException("unknown expression " + word + " " + field);
                    };
                    matches.putIfAbsent(Key.PROTOCOL, new Match(word, false));
                    put(matches, key, in);
                }
                case "meta" -> {
                    String field = in.next();
                    if (field.equals("mark") && in.peekIs("set")) {
                        in.next();
                        String value = in.next();
                        if (value.equals("ct")) {
                            in.expect("mark");
                            target = "CONNMARK";
                        } else {
                            targetMark = value;
                            target = target == null ? "MARK" : target;
                        }
                    } else {
                        metaMatch(matches, field, in);
                    }
                }
                case "skuid", "skgid", "l4proto", "mark" -> metaMatch(matches, word, in);
                case "ct" -> {
                    String field = in.next();
                    if (field.equals("state")) {
                        put(matches, Key.CT_STATE, in);
                    } else if (field.equals("zone") && in.peekIs("set")) {
                        in.next();
                        targetMark = in.next();
                        target = "CT";
                    } else if (field.equals("mark") && in.peekIs("set")) {
                        in.next();
                        connmarkValue(in);
                        target = "CONNMARK";
                    } else if (field.equals("mark")) {
                        put(matches, Key.CONNMARK, in);
                    } else {
                        throw new IllegalArgumentException("unknown expression ct " + field);
                    }
                }
                case "counter" -> {
                    if (in.peekIs("packets")) {
                        in.next();
                        in.next();
                        in.expect("bytes");
                        in.next();
                    }
                }
                case "redirect" -> {
                    in.expect("to");
                    targetPort = port(in.next());
                    target = "REDIRECT";
                }
                case "tproxy" -> {
                    if (in.peekIs("ip") || in.peekIs("ip6")) {
                        in.next();
                    }
                    in.expect("to");
                    targetPort = port(in.next());
                    target = "TPROXY";
                }
                case "jump", "goto" -> target = iptablesName(in.next());
                case "return" -> target = target == null ? "RETURN" : target;
                case "accept" -> target = target == null ? "ACCEPT" : target;
                case "drop" -> target = target == null ? "DROP" : target;
                case "comment" -> in.next();
                default -> throw new IllegalArgumentException("unknown expression " + word);
            }
        }
        if (target == null) {
            throw new IllegalArgumentException("rule without a verdict or statement meshcap knows");
        }
        return new NetfilterRule(line.number(), line.text(), table, tableLine, chain, matches, target, targetPort, targetMark);
    }

    private static void metaMatch(Map<Key, Match> matches, String field, Cursor in) {
        Key key = switch (field) {
            case "skuid" -> Key.UID_OWNER;
            case "skgid" -> Key.GID_OWNER;
            case "l4proto" -> Key.PROTOCOL;
            case "mark" -> Key.MARK;
            default -> throw new IllegalArgumentException("unknown expression meta " + field);
        };
        put(matches, key, in);
    }

    /**
     * Reads what "ct mark set" assigns: the packet mark ("mark", "meta mark": TPROXY mode saves it on the connection),
     * or "ct mark [& MASK | BITS]" (ambient keeps ct mark bits it does not own).
     */
    private static void connmarkValue(Cursor in) {
        if (in.peekIs("ct") || in.peekIs("meta")) {
            in.next();
        }
        in.expect("mark");
        if (in.peekIs("&") || in.peekIs("and")) {
            in.next();
            in.next();
            if (in.peekIs("|") || in.peekIs("or")) {
                in.next();
                in.next();
            }
        }
    }

    /**
     * Reads "[& MASK] [!=|==] value" or "[!=] { a, b }" into a match. Sets become comma lists like iptables'
     * multiport; a masked mark becomes "VALUE/MASK" as iptables prints it.
     */
    private static void put(Map<Key, Match> matches, Key key, Cursor in) {
        String mask = null;
        if (in.peekIs("&") || in.peekIs("and")) {
            in.next();
            mask = in.next();
        }
        boolean negated = false;
        if (in.peekIs("!=")) {
            in.next();
            negated = true;
        } else if (in.peekIs("==")) {
            in.next();
        }
        String value = in.next();
        if (value.equals("{")) {
            StringBuilder list = new StringBuilder();
            for (String element = in.next(); !element.equals("}"); element = in.next()) {
                if (!element.equals(",")) {
                    list.append(list.length() == 0 ? "" : ",").append(element);
                }
            }
            value = list.toString();
        }
        // A flag list without braces: "ct state established,related".
        while (in.peekIs(",")) {
            in.next();
            value = value + "," + in.next();
        }
        NetfilterRule.addMatch(matches, key, new Match(mask == null ? value : value + "/" + mask, negated));
    }

    private static int port(String target) {
        Matcher port = PORT_TARGET.matcher(target);
        if (!port.matches()) {
            throw new IllegalArgumentException("not a port: " + target);
        }
        return Integer.parseInt(port.group(1));
    }

    /** Walks the words of one rule; running out of words is a malformed rule. */
    private static final class Cursor {
        private final List<String> words;
        private int position;

        Cursor(List<String> words) {
            this.words = words;
        }

        boolean more() {
            return position < words.size();
        }

        String next() {
            if (!more()) {
                throw new IllegalArgumentException("rule ends early");
            }
            return words.get(position++);
        }

        boolean peekIs(String word) {
            return more() && words.get(position).equals(word);
        }

        void expect(String word) {
            String actual = next();
            if (!actual.equals(word)) {
                throw new IllegalArgumentException("expected '" + word + "' but found '" + actual + "'");
            }
        }
    }
}
