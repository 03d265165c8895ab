package io.meshcap.istio;

import io.meshcap.istio.NetfilterRule.Key;
import io.meshcap.istio.NetfilterRule.Match;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the tables of {@code iptables-save} / {@code ip6tables-save} output (legacy and nft back ends print the
 * same text) into normalised rules. A rule with an option meshcap does not know is reported whole rather than
 * read in part, because a half-understood rule would put a wrong value in the model.
 */
final class IptablesSaveParser {

    private static final Pattern CHAIN_DECLARATION = Pattern.compile("^:[A-Za-z0-9_.-]+ (?:ACCEPT|DROP|RETURN|-) \\[\\d+:\\d+\\]$");

    /** Match modules whose options are read below; the module name itself carries no meaning here. */
    private static final Set<String> MODULES =
            Set.of("tcp", "udp", "owner", "multiport", "mark", "connmark", "conntrack", "comment");

    /** Target options that do not change what the model records. */
    private static final Set<String> IGNORED_TARGET_OPTIONS = Set.of("--on-ip", "--nfmask", "--ctmask", "--mask");
    private static final Set<String> FLAG_TARGET_OPTIONS = Set.of("--save-mark", "--restore-mark", "--random");

    private IptablesSaveParser() {
    }

    static List<NetfilterRule> parse(RuleSection section, List<UnrecognisedRule> unrecognised) {
        List<NetfilterRule> rules = new ArrayList<>();
        String table = null;
        int tableLine = 0;
        for (DumpLine line : section.lines()) {
            String text = line.text();
            if (text.startsWith("*")) {
                table = text.substring(1);
                tableLine = line.number();
            } else if (text.startsWith(":")) {
                if (!CHAIN_DECLARATION.matcher(text).matches()) {
                    unrecognised.add(new UnrecognisedRule(line.number(), text, "malformed chain declaration"));
                }
            } else if (text.startsWith("-A ")) {
                try {
                    rules.add(rule(line, table, tableLine));
                } catch (IllegalArgumentException e) {
                    unrecognised.add(new UnrecognisedRule(line.number(), text, e.getMessage()));
                }
            } else {
                unrecognised.add(new UnrecognisedRule(line.number(), text, "not a chain declaration or -A rule"));
            }
        }
        return rules;
    }

    private static NetfilterRule rule(DumpLine line, String table, int tableLine) {
        List<String> tokens = Tokens.split(line.text());
        String chain = tokens.size() > 1 ? tokens.get(1) : null;
        if (chain == null) {
            throw new IllegalArgumentException("-A without a chain");
        }
        Map<Key, Match> matches = new EnumMap<>(Key.class);
        String target = null;
        int targetPort = 0;
        String targetMark = null;
        String module = "";
        boolean negate = false;
        int i = 2;
        while (i < tokens.size()) {
            String option = tokens.get(i);
            if (option.equals("!")) {
                negate = true;
                i++;
                continue;
            }
            if (target != null) {
                // Everything after -j belongs to the target.
                if (option.equals("--to-ports") || option.equals("--to-port") || option.equals("--on-port")) {
                    targetPort = port(value(tokens, i, option));
                    i += 2;
                } else if (option.equals("--tproxy-mark") || option.equals("--set-xmark") || option.equals("--set-mark")
                        || option.equals("--zone")) {
                    targetMark = value(tokens, i, option);
                    i += 2;
                } else if (IGNORED_TARGET_OPTIONS.contains(option)) {
                    i += 2;
                } else if (FLAG_TARGET_OPTIONS.contains(option)) {
                    i++;
                } else {
                    throw new IllegalArgumentException("unknown " + target + " option " + option);
                }
                continue;
            }
            String value = option.startsWith("-") ? value(tokens, i, option) : null;
            Key key = switch (option) {
                case "-s", "--source" -> Key.SOURCE;
                case "-d", "--destination" -> Key.DESTINATION;
                case "-i", "--in-interface" -> Key.IN_INTERFACE;
                case "-o", "--out-interface" -> Key.OUT_INTERFACE;
                case "-p", "--protocol" -> Key.PROTOCOL;
                case "--dport", "--dports", "--destination-port", "--destination-ports" -> Key.DESTINATION_PORTS;
                case "--sport", "--sports", "--source-port", "--source-ports" -> Key.SOURCE_PORTS;
                case "--uid-owner" -> Key.UID_OWNER;
                case "--gid-owner" -> Key.GID_OWNER;
                case "--mark" -> module.equals("connmark") ? Key.CONNMARK : Key.MARK;
                case "--ctstate" -> Key.CT_STATE;
                default -> null;
            };
            if (key != null) {
                NetfilterRule.addMatch(matches, key, new Match(value, negate));
            } else if (option.equals("-m")) {
                if (!MODULES.contains(value)) {
                    throw new IllegalArgumentException("unknown match module " + value);
                }
                module = value;
            } else if (option.equals("--comment")) {
                // Comments document, they do not match.
            } else if (option.equals("-j") || option.equals("-g")) {
                target = value;
            } else {
                throw new IllegalArgumentException("unknown option " + option);
            }
            negate = false;
            i += 2;
        }
        if (target == null) {
            throw new IllegalArgumentException("rule without a target (-j)");
        }
        return new NetfilterRule(line.number(), line.text(), table, tableLine, chain, matches, target, targetPort, targetMark);
    }

    private static String value(List<String> tokens, int i, String option) {
        if (i + 1 >= tokens.size()) {
            throw new IllegalArgumentException(option + " without a value");
        }
        return tokens.get(i + 1);
    }

    private static int port(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port: " + text);
        }
    }
}
