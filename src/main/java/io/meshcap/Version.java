package io.meshcap;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** meshcap's version, as Maven stamped it into the jar; shown by --version and written into every capture. */
public final class Version {

    private static final String RESOURCE = "/META-INF/meshcap/version.properties";

    private Version() {
    }

    public static String current() {
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What meshcap writes as the capturing application, e.g. {@code meshcap 0.1.0}. */
    public static String userApplication() {
        return "meshcap " + current();
    }
}
