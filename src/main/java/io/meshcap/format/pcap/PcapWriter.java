package io.meshcap.format.pcap;

import static io.meshcap.format.pcap.PcapFormat.MAGIC_NANOS;
import static io.meshcap.format.pcap.PcapFormat.VERSION_MAJOR;
import static io.meshcap.format.pcap.PcapFormat.VERSION_MINOR;

import io.meshcap.MeshcapException;
import io.meshcap.format.ByteOutput;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.PacketView;
import io.meshcap.format.SectionInfo;

/**
 * Writes classic pcap with nanosecond timestamps. The format has one link type and no interfaces, so
 * every added interface must share the first one's link type, and records lose their interface and options;
 * blocks other than packets have no place and are left out.
 *
 * <p>The file header's snapshot length must cover every packet in the file: readers built on libpcap (tcpdump)
 * cut longer packets to it. The header is written before all interfaces may be known (a pcapng input can define
 * one after its first packet), so it states the largest packet an ordinary reader accepts, or a larger snapshot
 * length an interface declared; an interface unable to state its snapshot length (0) does not lower it. A packet
 * longer than the header allows is refused rather than cut.
 *
 * <p>The header is written with the first record (or at close); after a refused interface, not at close, so a
 * failed merge to standard output writes nothing.
 */
public final class PcapWriter implements CaptureWriter {

    /** The largest packet readers accept for ordinary link types (libpcap's and Wireshark's limit). */
    static final int STANDARD_SNAPLEN = 262_144;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final ByteOutput output;
    private int interfaceCount;
    private int linkType;
    private int snapLength = STANDARD_SNAPLEN;
    private boolean headerWritten;
    /**
     * An interface of another link type was refused, so the caller is failing. Merge adds every input's interfaces
     * before the first record, so usually nothing is written yet; a header at close would then pass on standard
     * output (where nothing can be deleted) for an empty capture of the first link type.
     */
    private boolean refused;
    /** Records are written through a view of their bytes, as packets still in a reader's buffer are. */
    private final PacketView scratch = new PacketView();

    public PcapWriter(ByteOutput output) {
        this.output = output;
    }

    @Override
    public void describeSection(SectionInfo section) {
        // Classic pcap has no section header.
    }

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        if (interfaceCount == 0) {
            linkType = captureInterface.linkType();
        } else if (captureInterface.linkType() != linkType) {
            refused = true;
            throw MeshcapException.usage("pcap output holds one link type, but the inputs have "
                    + LinkType.describe(linkType) + " and " + LinkType.describe(captureInterface.linkType())
                    + "; write pcapng instead (--format pcapng)");
        }
        if (!headerWritten) {
            snapLength = Math.max(snapLength, captureInterface.snapLength());
        }
        return interfaceCount++;
    }

    @Override
    public void write(CaptureBlock block) {
        if (block instanceof CaptureRecord record) {
            writePacket(scratch.of(record));
        } else if (block instanceof PacketView packet) {
            writePacket(packet);
        }
    }

    private void writePacket(PacketView packet) {
        if (packet.interfaceId() < 0 || packet.interfaceId() >= interfaceCount) {
            throw new IllegalArgumentException("interface " + packet.interfaceId() + " was not added");
        }
        if (!headerWritten) {
            writeHeader();
        }
        if (packet.capturedLength() > snapLength) {
            throw MeshcapException.failure(output.destination() + ": a packet of " + packet.capturedLength()
                    + " bytes is longer than the snapshot length " + snapLength + " in the pcap file header, written"
                    + " before its interface was known, and would be cut; write pcapng instead (--format pcapng)");
        }
        long timestamp = packet.timestampNanos();
        output.putInt((int) Math.floorDiv(timestamp, NANOS_PER_SECOND));
        output.putInt((int) Math.floorMod(timestamp, NANOS_PER_SECOND));
        output.putInt(packet.capturedLength());
        output.putInt(packet.originalLength());
        output.put(packet.bytes(), packet.offset(), packet.capturedLength(), false);
    }

    private void writeHeader() {
        output.putInt(MAGIC_NANOS);
        output.putShort(VERSION_MAJOR);
        output.putShort(VERSION_MINOR);
        output.putInt(0); // thiszone: timestamps are UTC
        output.putInt(0); // sigfigs: always 0 in practice
        output.putInt(snapLength);
        output.putInt(linkType);
        headerWritten = true;
    }

    /** Also puts out the file header once the interface is known, so a reader can open the stream before a packet. */
    @Override
    public void flush() {
        if (!headerWritten && interfaceCount > 0) {
            writeHeader();
        }
        output.flush();
    }

    @Override
    public void close() {
        if (!headerWritten && !refused) {
            writeHeader(); // even without records: an empty capture is still a valid file
        }
        output.close();
    }
}
