package io.meshcap.format;

import java.io.Closeable;

/**
 * Writes packets and the blocks that travel with them to one capture file. Obtain one from
 * {@link CaptureFormats#create}.
 *
 * <p>Call {@link #addInterface} for every interface before writing records that refer to it; ids are
 * handed out from 0 in call order. Interfaces may be added between records.
 */
public interface CaptureWriter extends Closeable {

    /**
     * Says what the file's section header should carry besides the writing application (the inputs' comments,
     * the capturing machine). Only before anything else; formats without a section header ignore it.
     *
     * @throws IllegalStateException after an interface or block was written
     */
    void describeSection(SectionInfo section);

    /**
     * Declares an interface.
     *
     * @return the id that records on this interface must carry
     * @throws io.meshcap.MeshcapException (usage) when the format cannot hold it, e.g. a second link type in pcap
     */
    int addInterface(CaptureInterface captureInterface);

    /**
     * Writes one packet or block where it stands in the file. Formats hold what they can: classic pcap keeps the
     * packets only (no comments or other options, no secrets, statistics, name resolution or custom blocks). A
     * {@link DecryptionSecrets} block lets Wireshark decrypt the packets written after it.
     *
     * @throws IllegalArgumentException when a record or statistics block refers to an interface not added
     * @throws io.meshcap.MeshcapException when the format cannot hold the packet without cutting it
     */
    void write(CaptureBlock block);

    /**
     * Hands what is buffered to the file or pipe now, for a reader that watches the output as it grows (a live
     * stream). Writers that buffer nothing ignore it.
     */
    default void flush() {
    }

    /** Flushes and closes the file. */
    @Override
    void close();
}
