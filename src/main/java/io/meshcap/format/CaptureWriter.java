package io.meshcap.format;

import java.io.Closeable;

/**
 * Writes records to one capture file. Obtain one from {@link CaptureFormats#create}.
 *
 * <p>Call {@link #addInterface} for every interface before writing records that refer to it; ids are
 * handed out from 0 in call order. Interfaces may be added between records.
 */
public interface CaptureWriter extends Closeable {

    /** Secrets type of a TLS key log in NSS format (pcapng Decryption Secrets Block). */
    int TLS_KEY_LOG = 0x544c534b;

    /**
     * Declares an interface.
     *
     * @return the id that records on this interface must carry
     * @throws io.meshcap.MeshcapException (usage) when the format cannot hold it, e.g. a second link type in pcap
     */
    int addInterface(CaptureInterface captureInterface);

    /**
     * Adds decryption secrets (a pcapng Decryption Secrets Block), so Wireshark can decrypt the packets
     * that follow. Only allowed before the first record.
     *
     * @param secretsType e.g. {@link #TLS_KEY_LOG}
     * @throws io.meshcap.MeshcapException (usage) when the format has no place for secrets
     * @throws IllegalStateException after the first record
     */
    void addDecryptionSecrets(int secretsType, byte[] secrets);

    /**
     * Writes one record. Formats without comments (classic pcap) drop {@link CaptureRecord#comment()}.
     *
     * @throws IllegalArgumentException when the record's interface was not added
     */
    void write(CaptureRecord record);

    /** Flushes and closes the file. */
    @Override
    void close();
}
