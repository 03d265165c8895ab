package io.meshcap;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * meshcap's version and the git commit it was built from, as the build stamped them into the jar; shown by
 * --version, and the version is written into every capture.
 */
public final class Version {

    private static final String VERSION_RESOURCE = "/META-INF/meshcap/version.properties";
    /** Written by src/build/commit during the build. */
    private static final String COMMIT_RESOURCE = "/META-INF/meshcap/commit.properties";
    private static final String UNKNOWN = "unknown";

    private Version() {
    }

    public static String current() {
        return stamped(VERSION_RESOURCE, "version");
    }

    /** The abbreviated commit hash, with {@code -dirty} for uncommitted changes; "unknown" when built outside git. */
    public static String commit() {
        return stamped(COMMIT_RESOURCE, "commit");
    }

    /** What meshcap writes as the capturing application, e.g. {@code meshcap 0.1.0}. */
    public static String userApplication() {
        return "meshcap " + current();
    }

    private static String stamped(String resource, String key) {
        try (InputStream in = Version.class.getResourceAsStream(resource)) {
            if (in == null) {
                return UNKNOWN;
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty(key, UNKNOWN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
