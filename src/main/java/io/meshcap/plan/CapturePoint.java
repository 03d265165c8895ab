package io.meshcap.plan;

/**
 * Where an interface's capture point sits relative to Istio's REDIRECT rules.
 *
 * @param beforeRedirect true when packets are captured before the REDIRECT rewrites them
 * @param description    the full story, in words
 */
public record CapturePoint(boolean beforeRedirect, String description) {

    /** {@code before the REDIRECT} or {@code after the REDIRECT}. */
    public String relativeToRedirect() {
        return beforeRedirect ? "before the REDIRECT" : "after the REDIRECT";
    }
}
