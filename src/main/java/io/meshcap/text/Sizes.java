package io.meshcap.text;

/** Byte counts for people. */
public final class Sizes {

    private static final String[] UNITS = {"B", "KB", "MB", "GB", "TB"};
    private static final int STEP = 1024;

    private Sizes() {
    }

    /** {@code 1536} → {@code 1.5 KB}. */
    public static String human(long bytes) {
        double value = bytes;
        int unit = 0;
        while (value >= STEP && unit < UNITS.length - 1) {
            value /= STEP;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format("%.1f %s", value, UNITS[unit]);
    }
}
