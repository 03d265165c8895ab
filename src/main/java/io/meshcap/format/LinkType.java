package io.meshcap.format;

/** The link-layer header types meshcap reads and writes (tcpdump.org LINKTYPE_ values). */
public final class LinkType {

    public static final int NULL = 0;
    public static final int EN10MB = 1;
    public static final int RAW = 101;
    public static final int LOOP = 108;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    private LinkType() {
    }

    /** A name for messages, e.g. {@code EN10MB (1)}; unknown types show their number only. */
    public static String describe(int linkType) {
        String name = switch (linkType) {
            case NULL -> "NULL";
            case EN10MB -> "EN10MB";
            case RAW -> "RAW";
            case LOOP -> "LOOP";
            case LINUX_SLL -> "LINUX_SLL";
            case IPV4 -> "IPV4";
            case IPV6 -> "IPV6";
            case LINUX_SLL2 -> "LINUX_SLL2";
            default -> null;
        };
        return name == null ? "link type " + linkType : name + " (" + linkType + ")";
    }
}
