package io.meshcap.capture.k8s;

import io.meshcap.capture.LegPlan;
import io.meshcap.capture.TcpdumpArgv;
import io.meshcap.istio.SsParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every command meshcap runs in a pod, as argv lists. The few that need a shell use a constant script and
 * pass every value as a positional parameter ({@code "$1"}, {@code "$@"}): nothing from the user or the
 * API is ever spliced into shell text.
 */
public final class CaptureArgv {

    /** What the capture wrapper prints on stderr before it becomes tcpdump, so the leg can be stopped by PID. */
    static final String PID_MARKER = "meshcap-pid ";
    private static final Pattern PID_LINE = Pattern.compile("^" + PID_MARKER + "(\\d+)$", Pattern.MULTILINE);

    /**
     * Announces its PID, then execs its arguments: the PID stays tcpdump's, so a later {@code kill -INT}
     * makes tcpdump flush and exit 0 (closing the exec stream alone does not kill a process in every runtime).
     */
    private static final String ANNOUNCE_AND_EXEC = "echo \"" + PID_MARKER + "$$\" >&2; exec \"$@\"";

    /** Where a helper container records the PID of its idle process, so clean-up can end it. */
    private static final String HELPER_PID_FILE = "/tmp/meshcap-helper.pid";
    private static final String IDLE = "echo $$ > " + HELPER_PID_FILE + "; exec sleep \"$1\"";
    private static final String RELEASE = "kill \"$(cat " + HELPER_PID_FILE + ")\"";

    /**
     * Prints the PID of a process whose cgroup path names the container ID in {@code $1}. Any process of
     * the pod will do: they all share its network namespace.
     */
    private static final String FIND_PID = "for f in /proc/[0-9]*/cgroup; do "
            + "if grep -qF -- \"$1\" \"$f\" 2>/dev/null; then p=${f#/proc/}; echo \"${p%/cgroup}\"; exit 0; fi; "
            + "done; echo \"no process of container $1 on this node\" >&2; exit 1";

    private static final String SHELL = "sh";
    // $0 of an inline script: shows in ps and error messages.
    private static final String SCRIPT_NAME = "meshcap";

    private CaptureArgv() {
    }

    /** The leg's tcpdump ({@link TcpdumpArgv}), behind the PID announcement. */
    public static List<String> capture(LegPlan leg) {
        return script(ANNOUNCE_AND_EXEC, TcpdumpArgv.of(leg));
    }

    /** Asks a capture started by {@link #capture} to finish: tcpdump flushes, prints its counts and exits 0. */
    public static List<String> stop(long pid) {
        return List.of("kill", "-INT", Long.toString(pid));
    }

    /** Checks that tcpdump is there: exit 127 means it is not. */
    public static List<String> probe() {
        return List.of("tcpdump", "--version");
    }

    /** The main process of a helper container: idles for at most {@code lifetimeSeconds}, then exits. */
    public static List<String> idle(long lifetimeSeconds) {
        return script(IDLE, List.of(Long.toString(lifetimeSeconds)));
    }

    /** Ends a helper container's idle process early, which stops the container. */
    public static List<String> release() {
        return script(RELEASE, List.of());
    }

    /** Finds a PID in the container {@code containerId} (a bare hex ID, validated by the caller). */
    public static List<String> findPid(String containerId) {
        return script(FIND_PID, List.of(containerId));
    }

    /** The prefix that runs a command in the network namespace of process {@code pid}. */
    public static List<String> nsenter(long pid) {
        return List.of("nsenter", "-n", "-t", Long.toString(pid), "--");
    }

    /**
     * What is collected from inside the pod's network namespace, name → argv, in the order run. Failures are
     * expected (an image without nft, an empty legacy table) and are recorded, not raised.
     */
    public static Map<String, List<String>> facts() {
        Map<String, List<String>> facts = new LinkedHashMap<>();
        facts.put(PodFacts.IPTABLES_SAVE, List.of("iptables-save"));
        facts.put(PodFacts.IP6TABLES_SAVE, List.of("ip6tables-save"));
        // Istio's native nftables mode leaves iptables-save empty; the backends can also differ per table.
        facts.put(PodFacts.IPTABLES_LEGACY_SAVE, List.of("iptables-legacy-save"));
        facts.put(PodFacts.IPTABLES_NFT_SAVE, List.of("iptables-nft-save"));
        facts.put(PodFacts.NFT_RULESET, List.of("nft", "list", "ruleset"));
        facts.put(PodFacts.PORT_RANGE, List.of("cat", "/proc/sys/net/ipv4/ip_local_port_range"));
        // The same ss as for a local namespace: -e prints the uids that tell the proxy's sockets apart.
        facts.put(PodFacts.LISTENING_SOCKETS, SsParser.LISTENING_SOCKETS);
        facts.put("addresses", List.of("ip", "addr"));
        facts.put("routes", List.of("ip", "route"));
        facts.put("routes-ipv6", List.of("ip", "-6", "route"));
        return facts;
    }

    /** The PID a capture wrapper announced in {@code stderr}, or -1 if it has not yet. */
    static long announcedPid(CharSequence stderr) {
        Matcher matcher = PID_LINE.matcher(stderr);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    private static List<String> script(String script, List<String> arguments) {
        List<String> argv = new ArrayList<>(List.of(SHELL, "-c", script, SCRIPT_NAME));
        argv.addAll(arguments);
        return List.copyOf(argv);
    }
}
