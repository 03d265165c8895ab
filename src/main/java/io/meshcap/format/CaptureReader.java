package io.meshcap.format;

import java.io.Closeable;
import java.util.List;
import java.util.Optional;

/**
 * Reads one capture file record by record, in file order, with memory independent of the file size.
 * Obtain one from {@link CaptureFormats#open(java.nio.file.Path)}.
 *
 * <p>Damage is handled in two ways. A file that simply ends inside its last record (a capture that was
 * killed, a copy that stopped) is not an error: {@link #next()} returns {@code null} after the last whole
 * record and {@link #truncation()} describes the cut. A well-formed block of a type the reader does not know is
 * passed over, as the pcapng specification asks, and {@link #skipped()} says so. Anything else that is not a
 * valid file (garbage, impossible lengths, timestamps outside 1970 to 2262, which nanoseconds in a long hold)
 * throws a {@link io.meshcap.MeshcapException} whose message names the file and the byte offset.
 */
public interface CaptureReader extends Closeable {

    /** The format's short name, e.g. {@code pcap} or {@code pcapng}. */
    String formatName();

    /**
     * The interfaces seen so far, indexed by {@link CaptureRecord#interfaceId()}. A pcap file has one; a
     * pcapng file may define more as it goes (and a new section adds new ones rather than replacing them),
     * so the list can grow after each {@link #next()}. Never shrinks; the returned list is a snapshot.
     */
    List<CaptureInterface> interfaces();

    /** How many interfaces {@link #interfaces()} would list now, without copying them. */
    default int interfaceCount() {
        return interfaces().size();
    }

    /** What the file's (first) section header says; {@link SectionInfo#NONE} for formats without one. */
    SectionInfo section();

    /**
     * The next packet or block that travels with the packets (decryption secrets, statistics, name resolution,
     * copyable custom blocks), in file order; {@code null} at the end of the file (or at a truncated last record).
     */
    CaptureBlock nextBlock();

    /**
     * The next block as {@link #nextBlock()} gives it, except that a packet is not copied into a record of its own:
     * {@code packet} is pointed at it in the reader's buffer and returned, valid until the next call. The fast path for
     * a stage that passes most packets on unchanged; {@link #nextBlock()} is this, with the packet kept.
     */
    CaptureBlock nextBlock(PacketView packet);

    /** The next packet, passing over any other block; {@code null} at the end of the file. */
    default CaptureRecord next() {
        for (CaptureBlock block = nextBlock(); block != null; block = nextBlock()) {
            if (block instanceof CaptureRecord record) {
                return record;
            }
        }
        return null;
    }

    /**
     * After {@link #next()} returned {@code null}: a message like
     * {@code capture.pcap: offset 4096: the last record is cut short (20 of 416 bytes); the 9 records
     * before it were kept}, or empty when the file ended cleanly.
     */
    Optional<String> truncation();

    /**
     * After {@link #next()} returned {@code null}: what was passed over because meshcap does not know or carry it,
     * one line for the whole file, e.g. {@code capture.pcapng: skipped 2 blocks of unknown type 0x80000001 (first at
     * offset 1024)}; empty when nothing was.
     */
    Optional<String> skipped();

    /** Releases the file; never throws for a file that was only read. */
    @Override
    void close();
}
