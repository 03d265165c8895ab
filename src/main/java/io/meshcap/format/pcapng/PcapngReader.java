package io.meshcap.format.pcapng;

import static io.meshcap.format.pcapng.PcapngFormat.*;

import io.meshcap.MeshcapException;
import io.meshcap.format.ByteInput;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.CaptureRecord;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads pcapng, block by block. Interfaces of all sections are numbered in one sequence (a second
 * section's first interface follows the first section's last), so record interface ids stay unique.
 * Blocks that carry no packets (name resolution, statistics, secrets, journal, custom) are skipped;
 * a block type the specification does not define is treated as damage.
 */
final class PcapngReader implements CaptureReader {

    /** Larger blocks mean a damaged file (Wireshark's limit is of the same order). */
    private static final int MAX_BLOCK_LENGTH = 16 << 20;
    private static final int SHB_MIN_LENGTH = SHB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int IDB_MIN_LENGTH = IDB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int EPB_MIN_LENGTH = EPB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int SPB_MIN_LENGTH = SPB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int TSOFFSET_LENGTH = 8;

    private final ByteInput input;
    private final List<CaptureInterface> interfaces = new ArrayList<>();
    private final List<Timescale> timescales = new ArrayList<>();
    /** Global id of the current section's interface 0. */
    private int sectionBase;
    private long records;
    private String truncation;

    PcapngReader(ByteInput input) {
        this.input = input;
        // The first block must be a complete SHB; reading it now reports a bad header at open time.
        if (!readSectionHeader()) {
            throw MeshcapException.failure(input.source() + ": offset 0: the pcapng section header is cut short ("
                    + "the file holds no complete block)");
        }
    }

    @Override
    public String formatName() {
        return "pcapng";
    }

    @Override
    public List<CaptureInterface> interfaces() {
        return List.copyOf(interfaces);
    }

    @Override
    public Optional<String> truncation() {
        return truncation == null || truncation.isEmpty() ? Optional.empty() : Optional.of(truncation);
    }

    @Override
    public CaptureRecord next() {
        while (truncation == null) {
            if (!input.request(BLOCK_HEADER_LENGTH)) {
                cutShort(BLOCK_HEADER_LENGTH);
                return null;
            }
            if (input.getInt(BLOCK_TYPE_OFFSET) == SECTION_HEADER) {
                readSectionHeader();
                continue;
            }
            int length = blockLength(MIN_BLOCK_LENGTH);
            if (!input.request(length)) {
                cutShort(length);
                return null;
            }
            checkTrailer(length);
            CaptureRecord record = readBlock(input.getInt(BLOCK_TYPE_OFFSET), length);
            input.skip(length);
            if (record != null) {
                records++;
                return record;
            }
        }
        return null;
    }

    /** Reads an SHB at the current position; false (with the truncation set) when the file ends inside it. */
    private boolean readSectionHeader() {
        if (!input.request(SHB_MAGIC_OFFSET + Integer.BYTES)) {
            cutShort(SHB_MAGIC_OFFSET + Integer.BYTES);
            return false;
        }
        int magic = input.getIntBigEndian(SHB_MAGIC_OFFSET);
        if (magic == BYTE_ORDER_MAGIC) {
            input.order(ByteOrder.BIG_ENDIAN);
        } else if (magic == Integer.reverseBytes(BYTE_ORDER_MAGIC)) {
            input.order(ByteOrder.LITTLE_ENDIAN);
        } else {
            throw damage(SHB_MAGIC_OFFSET, String.format("section header has byte-order magic 0x%08x, not 0x%08x",
                    magic, BYTE_ORDER_MAGIC));
        }
        int length = blockLength(SHB_MIN_LENGTH);
        if (!input.request(length)) {
            cutShort(length);
            return false;
        }
        checkTrailer(length);
        int major = input.getUnsignedShort(SHB_VERSION_MAJOR_OFFSET);
        if (major != VERSION_MAJOR) {
            throw damage(SHB_VERSION_MAJOR_OFFSET, "pcapng major version " + major + " is not supported (only 1.x)");
        }
        sectionBase = interfaces.size();
        input.skip(length);
        return true;
    }

    private CaptureRecord readBlock(int type, int length) {
        switch (type) {
            case INTERFACE_DESCRIPTION -> {
                readInterface(length);
                return null;
            }
            case ENHANCED_PACKET -> {
                return readEnhancedPacket(length, sectionInterface(input.getInt(EPB_INTERFACE_OFFSET)));
            }
            case PACKET_OBSOLETE -> {
                return readEnhancedPacket(length, sectionInterface(input.getUnsignedShort(PB_INTERFACE_OFFSET)));
            }
            case SIMPLE_PACKET -> {
                return readSimplePacket(length);
            }
            case NAME_RESOLUTION, INTERFACE_STATISTICS, IRIG_TIMESTAMP, ARINC_429, SYSTEMD_JOURNAL,
                 DECRYPTION_SECRETS, CUSTOM_COPYABLE, CUSTOM_NOT_COPYABLE -> {
                return null;
            }
            default -> throw damage(BLOCK_TYPE_OFFSET, String.format(
                    "unknown block type 0x%08x; the file is damaged or uses a block this reader does not know", type));
        }
    }

    private void readInterface(int length) {
        if (length < IDB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "interface description block of " + length + " bytes is too short");
        }
        int linkType = input.getUnsignedShort(IDB_LINKTYPE_OFFSET);
        int snapLength = Math.max(input.getInt(IDB_SNAPLEN_OFFSET), 0);
        String name = null;
        String description = null;
        int tsresol = Timescale.DEFAULT_TSRESOL;
        long tsoffset = 0;
        int end = length - BLOCK_TRAILER_LENGTH;
        for (int at = IDB_OPTIONS_OFFSET; at + OPTION_HEADER_LENGTH <= end; ) {
            int code = input.getUnsignedShort(at);
            int valueLength = optionLength(at, end);
            int value = at + OPTION_HEADER_LENGTH;
            if (code == OPT_ENDOFOPT) {
                break;
            } else if (code == IF_NAME) {
                name = string(value, valueLength);
            } else if (code == IF_DESCRIPTION) {
                description = string(value, valueLength);
            } else if (code == IF_TSRESOL && valueLength >= 1) {
                tsresol = input.getUnsignedByte(value);
            } else if (code == IF_TSOFFSET && valueLength == TSOFFSET_LENGTH) {
                tsoffset = input.getLong(value);
            }
            at = value + valueLength + padding(valueLength);
        }
        interfaces.add(new CaptureInterface(linkType, snapLength, name, description));
        timescales.add(new Timescale(tsresol, tsoffset));
    }

    private CaptureRecord readEnhancedPacket(int length, int interfaceId) {
        if (length < EPB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "packet block of " + length + " bytes is too short");
        }
        int capturedLength = input.getInt(EPB_CAPTURED_LENGTH_OFFSET);
        int end = length - BLOCK_TRAILER_LENGTH;
        if (capturedLength < 0 || capturedLength > end - EPB_DATA_OFFSET) {
            throw damage(EPB_CAPTURED_LENGTH_OFFSET, "packet claims " + Integer.toUnsignedString(capturedLength)
                    + " captured bytes in a block of " + length);
        }
        long units = (Integer.toUnsignedLong(input.getInt(EPB_TS_HIGH_OFFSET)) << Integer.SIZE)
                | Integer.toUnsignedLong(input.getInt(EPB_TS_LOW_OFFSET));
        int originalLength = input.getInt(EPB_ORIGINAL_LENGTH_OFFSET);
        byte[] data = input.copy(EPB_DATA_OFFSET, capturedLength);
        int optionsStart = EPB_DATA_OFFSET + capturedLength + padding(capturedLength);
        String comment = optionsStart < end ? comments(optionsStart, end) : null;
        return new CaptureRecord(interfaceId, timescales.get(interfaceId).toNanos(units), originalLength, data, comment);
    }

    private CaptureRecord readSimplePacket(int length) {
        if (length < SPB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "simple packet block of " + length + " bytes is too short");
        }
        int interfaceId = sectionInterface(0);
        int originalLength = input.getInt(SPB_ORIGINAL_LENGTH_OFFSET);
        // The SPB has no captured length: it is the original length cut to the snaplen and to the block.
        int capturedLength = Math.min(length - SPB_MIN_LENGTH, originalLength < 0 ? Integer.MAX_VALUE : originalLength);
        int snapLength = interfaces.get(interfaceId).snapLength();
        if (snapLength > 0) {
            capturedLength = Math.min(capturedLength, snapLength);
        }
        // An SPB has no timestamp; 0 keeps it first in a merge, as Wireshark shows it.
        return new CaptureRecord(interfaceId, 0L, originalLength, input.copy(SPB_DATA_OFFSET, capturedLength), null);
    }

    /** Maps a section-local interface id to the global one, or reports a reference to an undefined interface. */
    private int sectionInterface(int localId) {
        int defined = interfaces.size() - sectionBase;
        if (localId < 0 || localId >= defined) {
            throw damage(EPB_INTERFACE_OFFSET, "packet refers to interface " + Integer.toUnsignedString(localId)
                    + ", but its section defines " + defined);
        }
        return sectionBase + localId;
    }

    /** Joins every opt_comment of a packet block with newlines; null when there is none. */
    private String comments(int start, int end) {
        String joined = null;
        for (int at = start; at + OPTION_HEADER_LENGTH <= end; ) {
            int code = input.getUnsignedShort(at);
            int valueLength = optionLength(at, end);
            if (code == OPT_ENDOFOPT) {
                break;
            }
            if (code == OPT_COMMENT) {
                String comment = string(at + OPTION_HEADER_LENGTH, valueLength);
                joined = joined == null ? comment : joined + "\n" + comment;
            }
            at += OPTION_HEADER_LENGTH + valueLength + padding(valueLength);
        }
        return joined;
    }

    private int optionLength(int at, int end) {
        int valueLength = input.getUnsignedShort(at + 2);
        if (at + OPTION_HEADER_LENGTH + valueLength > end) {
            throw damage(at, "option " + input.getUnsignedShort(at) + " of " + valueLength
                    + " bytes runs past the end of its block");
        }
        return valueLength;
    }

    private int blockLength(int minimum) {
        int length = input.getInt(BLOCK_LENGTH_OFFSET);
        if (length < minimum || length % 4 != 0 || length > MAX_BLOCK_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "block length " + Integer.toUnsignedString(length)
                    + " is impossible (a multiple of 4 from " + minimum + " to " + MAX_BLOCK_LENGTH + " expected)");
        }
        return length;
    }

    private void checkTrailer(int length) {
        int trailer = input.getInt(length - BLOCK_TRAILER_LENGTH);
        if (trailer != length) {
            throw damage(length - BLOCK_TRAILER_LENGTH, "block ends with length " + Integer.toUnsignedString(trailer)
                    + " but started with " + length);
        }
    }

    private void cutShort(int expected) {
        int present = input.available();
        if (present > 0) {
            truncation = input.source() + ": offset " + input.offset() + ": the last block is cut short (" + present
                    + " of " + expected + " bytes); the " + records + " records before it were kept";
            input.skip(present);
        } else {
            truncation = "";
        }
    }

    private MeshcapException damage(int blockOffset, String detail) {
        return MeshcapException.failure(input.source() + ": offset " + (input.offset() + blockOffset) + ": " + detail
                + " (the file is damaged; editcap can keep the packets before this offset)");
    }

    private String string(int at, int length) {
        return new String(input.copy(at, length), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        input.close();
    }

    private static int padding(int length) {
        return -length & 3;
    }
}
