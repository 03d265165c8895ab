package io.meshcap.istio;

/** A line of a dump that did not fit the model, kept so that nothing is dropped silently. */
public record UnrecognisedRule(int line, String text, String reason) {

    @Override
    public String toString() {
        return "line " + line + ": " + text + " (" + reason + ")";
    }
}
