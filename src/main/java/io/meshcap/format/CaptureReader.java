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
 * record and {@link #truncation()} describes the cut. Anything else that is not a valid file (garbage,
 * impossible lengths, unknown block types) throws a {@link io.meshcap.MeshcapException} whose message
 * names the file and the byte offset.
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

    /** The next record, or {@code null} at the end of the file (or at a truncated last record). */
    CaptureRecord next();

    /**
     * After {@link #next()} returned {@code null}: a message like
     * {@code capture.pcap: offset 4096: the last record is cut short (20 of 416 bytes); the 9 records
     * before it were kept}, or empty when the file ended cleanly.
     */
    Optional<String> truncation();

    /** Releases the file; never throws for a file that was only read. */
    @Override
    void close();
}
