package io.meshcap.reassoc;

/**
 * What a re-association pass did.
 *
 * @param connections connections sent to a REDIRECT target that were seen
 * @param rewritten   request packets given their original destination
 * @param unchanged   request packets left as captured because no reply showed the original destination
 * @param forgotten   connections dropped from the table (closed, idle, or past its bound)
 */
public record ReassociationStats(long connections, long rewritten, long unchanged, long forgotten) {

    /** One line for stderr, e.g. {@code re-associated 120 packets of 4 redirected connections; 0 left unchanged}. */
    public String describe() {
        if (connections == 0) {
            return "no connection to a REDIRECT port was captured, so nothing needed re-associating";
        }
        return "re-associated " + rewritten + (rewritten == 1 ? " packet" : " packets") + " of " + connections
                + " redirected " + (connections == 1 ? "connection" : "connections") + "; " + unchanged
                + " left unchanged (original destination unknown)";
    }
}
