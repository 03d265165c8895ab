package io.meshcap.istio;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Loads the dumps under {@code src/test/resources/rules/}. */
final class RuleDumps {

    private RuleDumps() {
    }

    static String text(String name) {
        try (InputStream in = RuleDumps.class.getResourceAsStream("/rules/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test dump " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InterceptionModel read(String name) {
        return RuleDumpReader.read(text(name));
    }
}
