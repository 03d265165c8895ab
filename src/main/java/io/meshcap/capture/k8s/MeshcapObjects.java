package io.meshcap.capture.k8s;

import java.security.SecureRandom;

/**
 * How meshcap marks what it creates in a cluster, so that {@code meshcap cleanup} can find leftovers:
 * node pods carry labels; ephemeral containers cannot, so their name carries the prefix.
 */
public final class MeshcapObjects {

    /** The standard "managed by" label key. */
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "meshcap";
    /** Which meshcap run created an object. */
    public static final String RUN_LABEL = "meshcap.io/run";
    /** The pod a node pod was created to capture, as {@code ns/name}. */
    public static final String TARGET_ANNOTATION = "meshcap.io/target";
    /** Every ephemeral container and node pod name starts with this. */
    public static final String NAME_PREFIX = "meshcap-";
    /** The label selector that finds every object meshcap created. */
    public static final String SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY_VALUE;

    private static final String RUN_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int RUN_ID_LENGTH = 6;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MeshcapObjects() {
    }

    /** A fresh run ID: short, lower-case, valid in names and label values. */
    public static String newRunId() {
        return randomId(RUN_ID_LENGTH);
    }

    /** {@code length} random lower-case letters and digits. */
    static String randomId(int length) {
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            id.append(RUN_ID_ALPHABET.charAt(RANDOM.nextInt(RUN_ID_ALPHABET.length())));
        }
        return id.toString();
    }
}
