package io.meshcap.format;

/**
 * An interface a capture was taken on: a pcapng IDB, or the single implicit interface of a classic pcap file.
 *
 * @param linkType    the link-layer header type (see {@link LinkType})
 * @param snapLength  the snapshot length, 0 when unknown or unlimited
 * @param name        if_name, e.g. {@code reviews-v1-abc/eth0}; may be {@code null}
 * @param description if_description: where and how the leg was captured; may be {@code null}
 */
public record CaptureInterface(int linkType, int snapLength, String name, String description) {
}
