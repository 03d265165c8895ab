package io.meshcap.format.pcap;

import static io.meshcap.format.pcap.PcapFormat.CAPTURED_LENGTH_OFFSET;
import static io.meshcap.format.pcap.PcapFormat.FILE_HEADER_LENGTH;
import static io.meshcap.format.pcap.PcapFormat.LINKTYPE_MASK;
import static io.meshcap.format.pcap.PcapFormat.LINKTYPE_OFFSET;
import static io.meshcap.format.pcap.PcapFormat.MAGIC_MICROS;
import static io.meshcap.format.pcap.PcapFormat.MAGIC_NANOS;
import static io.meshcap.format.pcap.PcapFormat.ORIGINAL_LENGTH_OFFSET;
import static io.meshcap.format.pcap.PcapFormat.RECORD_HEADER_LENGTH;
import static io.meshcap.format.pcap.PcapFormat.SNAPLEN_OFFSET;
import static io.meshcap.format.pcap.PcapFormat.TS_FRACTION_OFFSET;
import static io.meshcap.format.pcap.PcapFormat.TS_SECONDS_OFFSET;
import static io.meshcap.format.pcap.PcapFormat.VERSION_MAJOR;
import static io.meshcap.format.pcap.PcapFormat.VERSION_MAJOR_OFFSET;

import io.meshcap.MeshcapException;
import io.meshcap.format.ByteInput;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.PacketView;
import io.meshcap.format.RawOptions;
import io.meshcap.format.SectionInfo;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;

/** Reads a classic pcap file; see {@link PcapFormat} for the layout. */
final class PcapReader implements CaptureReader {

    /** Wireshark's limit for ordinary link types; larger claims mean a damaged file, unless the snaplen says so. */
    private static final int MAX_RECORD_DEFAULT = 262_144;
    private static final int MAX_RECORD_ABSOLUTE = 16 << 20;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long NANOS_PER_MICRO = 1_000L;

    private final ByteInput input;
    private final List<CaptureInterface> interfaces;
    private final long nanosPerFractionUnit;
    private final int maxRecord;
    /** The view {@link #nextBlock()} reads each packet into before copying it out. */
    private final PacketView scratch = new PacketView();
    private long records;
    private String truncation;

    PcapReader(ByteInput input) {
        this.input = input;
        int magic = input.getIntBigEndian(0);
        boolean bigEndian = magic == MAGIC_MICROS || magic == MAGIC_NANOS;
        input.order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        boolean nanos = magic == MAGIC_NANOS || magic == Integer.reverseBytes(MAGIC_NANOS);
        nanosPerFractionUnit = nanos ? 1 : NANOS_PER_MICRO;
        if (!input.request(FILE_HEADER_LENGTH)) {
            throw MeshcapException.failure(input.source() + ": offset 0: the pcap file header is cut short ("
                    + input.available() + " of " + FILE_HEADER_LENGTH + " bytes)");
        }
        int major = input.getUnsignedShort(VERSION_MAJOR_OFFSET);
        if (major != VERSION_MAJOR) {
            throw MeshcapException.failure(input.source() + ": offset " + VERSION_MAJOR_OFFSET
                    + ": pcap version " + major + " is not supported (only 2.x exists; the file is damaged)");
        }
        int snapLength = input.getInt(SNAPLEN_OFFSET);
        int linkType = input.getInt(LINKTYPE_OFFSET) & LINKTYPE_MASK;
        maxRecord = snapLength > MAX_RECORD_DEFAULT ? Math.min(snapLength, MAX_RECORD_ABSOLUTE) : MAX_RECORD_DEFAULT;
        interfaces = List.of(new CaptureInterface(linkType, Math.max(snapLength, 0), null, null));
        input.skip(FILE_HEADER_LENGTH);
    }

    @Override
    public String formatName() {
        return "pcap";
    }

    @Override
    public List<CaptureInterface> interfaces() {
        return interfaces;
    }

    @Override
    public SectionInfo section() {
        return SectionInfo.NONE;
    }

    @Override
    public CaptureBlock nextBlock() {
        return PacketView.kept(nextBlock(scratch));
    }

    @Override
    public CaptureBlock nextBlock(PacketView packet) {
        if (truncation != null) {
            return null;
        }
        if (!input.request(RECORD_HEADER_LENGTH)) {
            return cutShort(RECORD_HEADER_LENGTH);
        }
        int capturedLength = input.getInt(CAPTURED_LENGTH_OFFSET);
        if (capturedLength < 0 || capturedLength > maxRecord) {
            throw MeshcapException.failure(input.source() + ": offset " + input.offset() + ": record claims "
                    + Integer.toUnsignedString(capturedLength) + " captured bytes, more than the maximum "
                    + maxRecord + "; the file is damaged (editcap can cut it before this offset)");
        }
        int recordLength = RECORD_HEADER_LENGTH + capturedLength;
        if (!input.request(recordLength)) {
            return cutShort(recordLength);
        }
        long seconds = Integer.toUnsignedLong(input.getInt(TS_SECONDS_OFFSET));
        long fraction = Integer.toUnsignedLong(input.getInt(TS_FRACTION_OFFSET));
        int originalLength = input.getInt(ORIGINAL_LENGTH_OFFSET);
        packet.set(0, seconds * NANOS_PER_SECOND + fraction * nanosPerFractionUnit, originalLength, input.array(),
                input.arrayIndex(RECORD_HEADER_LENGTH), capturedLength, RawOptions.NONE);
        input.skip(recordLength);
        records++;
        return packet;
    }

    private CaptureBlock cutShort(int expected) {
        int present = input.available();
        if (present > 0) {
            truncation = input.source() + ": offset " + input.offset() + ": the last record is cut short ("
                    + present + " of " + expected + " bytes); the " + records + " records before it were kept";
            input.skip(present);
        } else {
            truncation = "";
        }
        return null;
    }

    @Override
    public Optional<String> truncation() {
        return truncation == null || truncation.isEmpty() ? Optional.empty() : Optional.of(truncation);
    }

    @Override
    public Optional<String> skipped() {
        return Optional.empty(); // classic pcap has nothing but packets
    }

    @Override
    public void close() {
        input.close();
    }
}
