package io.meshcap.istio;

import java.util.ArrayList;
import java.util.List;

/** Splits a rule into words the way the save tools quote them: whitespace separates, double quotes group. */
final class Tokens {

    private Tokens() {
    }

    static List<String> split(String text) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean inToken = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                inToken = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (inToken) {
                    tokens.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else {
                current.append(c);
                inToken = true;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced double quote");
        }
        if (inToken) {
            tokens.add(current.toString());
        }
        return tokens;
    }
}
