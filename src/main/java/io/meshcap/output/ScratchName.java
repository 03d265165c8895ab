package io.meshcap.output;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a file or directory a run keeps beside its output while it works: hidden, named after the output,
 * what it is, and the process that owns it, e.g. {@code .reviews.pcapng.meshcap-legs-4242-k3x9q2}. The owner's pid in
 * the name is what lets a later run tell a dead run's leftovers from a live run's work, and the fixed shape is what
 * lets {@code meshcap cleanup --local} touch nothing meshcap did not create.
 *
 * @param base  the output's file name, or empty when the file belongs to no output (a merge's spill file)
 * @param kind  what the file is
 * @param pid   the owning process
 * @param token random, so that one process can own several
 */
public record ScratchName(String base, ScratchKind kind, long pid, String token) {

    private static final Pattern SHAPE = Pattern.compile("\\.(?:(.+)\\.)?meshcap-(tmp|legs|spill)-(\\d{1,10})-([0-9a-z]{6})");
    private static final String TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final int TOKEN_LENGTH = 6;
    /** Room for the rest of the name within the usual 255-byte limit of a file name. */
    private static final int MAX_BASE_BYTES = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new name owned by this process. */
    public static ScratchName fresh(String base, ScratchKind kind) {
        StringBuilder token = new StringBuilder(TOKEN_LENGTH);
        for (int i = 0; i < TOKEN_LENGTH; i++) {
            token.append(TOKEN_ALPHABET.charAt(RANDOM.nextInt(TOKEN_ALPHABET.length())));
        }
        return new ScratchName(shortened(base), kind, ProcessHandle.current().pid(), token.toString());
    }

    /** The name's parts, when {@code fileName} has the shape meshcap gives its scratch files. */
    public static Optional<ScratchName> parse(String fileName) {
        Matcher matcher = SHAPE.matcher(fileName);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        String base = matcher.group(1) == null ? "" : matcher.group(1);
        return Optional.of(new ScratchName(base, ScratchKind.tagged(matcher.group(2)),
                Long.parseLong(matcher.group(3)), matcher.group(4)));
    }

    public String fileName() {
        return "." + (base.isEmpty() ? "" : base + ".") + "meshcap-" + kind.tag() + "-" + pid + "-" + token;
    }

    private static String shortened(String base) {
        String result = base;
        while (result.getBytes(StandardCharsets.UTF_8).length > MAX_BASE_BYTES) {
            result = result.substring(0, result.offsetByCodePoints(0, result.codePointCount(0, result.length()) - 1));
        }
        return result;
    }
}
