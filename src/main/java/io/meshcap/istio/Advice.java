package io.meshcap.istio;

/** Something a user should know before capturing in this namespace. */
public record Advice(Level level, String text) {

    /** Warnings change what a capture will show; notes explain it. */
    public enum Level { WARNING, NOTE }

    static Advice warning(String text) {
        return new Advice(Level.WARNING, text);
    }

    static Advice note(String text) {
        return new Advice(Level.NOTE, text);
    }
}
