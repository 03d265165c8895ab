package io.meshcap.format;

import java.util.Objects;

/**
 * An interface a capture was taken on: a pcapng IDB, or the single implicit interface of a classic pcap file.
 *
 * @param linkType    the link-layer header type (see {@link LinkType})
 * @param snapLength  the snapshot length, 0 when unknown or unlimited
 * @param name        if_name, e.g. {@code reviews-v1-abc/eth0}; may be {@code null}
 * @param description if_description: where and how the leg was captured; may be {@code null}
 * @param options     everything else the input says about the interface (if_fcslen, if_filter, if_os,
 *                    if_hardware, speeds, addresses, comments...), carried unread. Never the time resolution or
 *                    offset: record times are always nanoseconds since the epoch.
 */
public record CaptureInterface(int linkType, int snapLength, String name, String description, RawOptions options) {

    /**
     * The key under which meshcap's leg descriptions ({@code key=value; key=value}) list the pod's addresses, so that
     * a reader can tell a leg's directions without a second leg to learn them from.
     */
    public static final String POD_IPS_KEY = "pod-ips";

    public CaptureInterface {
        Objects.requireNonNull(options, "options (RawOptions.NONE for none)");
    }

    /** An interface with nothing more to say than its link type, snapshot length, name and description. */
    public CaptureInterface(int linkType, int snapLength, String name, String description) {
        this(linkType, snapLength, name, description, RawOptions.NONE);
    }

    /** The same interface under another name and description, keeping everything else. */
    public CaptureInterface relabelled(String newName, String newDescription) {
        return new CaptureInterface(linkType, snapLength, newName, newDescription, options);
    }
}
