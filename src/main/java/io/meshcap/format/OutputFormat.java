package io.meshcap.format;

/** The formats meshcap writes. */
public enum OutputFormat {
    /** pcapng: several interfaces and link types, interface names and descriptions, comments, secrets. */
    PCAPNG,
    /** Classic pcap with nanosecond timestamps: one link type, no names, no comments. */
    PCAP
}
