package io.meshcap.format.pcapng;

import static io.meshcap.format.pcapng.PcapngFormat.*;

import io.meshcap.MeshcapException;
import io.meshcap.format.ByteInput;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureReader;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.InterfaceStatistics;
import io.meshcap.format.OpaqueBlock;
import io.meshcap.format.PacketView;
import io.meshcap.format.RawOptions;
import io.meshcap.format.SectionInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads pcapng, block by block. Interfaces of all sections are numbered in one sequence (a second
 * section's first interface follows the first section's last), so record interface ids stay unique.
 *
 * <p>Packets come with their options (comments, flags, hash, drop count...) kept raw; decryption secrets, interface
 * statistics, name resolution and copyable custom blocks come as blocks of their own. Options and blocks of a
 * big-endian section are converted to little-endian where their layout is known. A well-formed block of a type
 * meshcap does not know or carry (a local-use type, a systemd journal entry, a custom block marked not to be
 * copied) is passed over and counted for {@link #skipped()}, as the specification asks of readers.
 */
final class PcapngReader implements CaptureReader {

    /** Larger blocks mean a damaged file (Wireshark's limit is of the same order). */
    private static final int MAX_BLOCK_LENGTH = 16 << 20;
    private static final int SHB_MIN_LENGTH = SHB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int IDB_MIN_LENGTH = IDB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int EPB_MIN_LENGTH = EPB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int SPB_MIN_LENGTH = SPB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int ISB_MIN_LENGTH = ISB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int DSB_MIN_LENGTH = DSB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int CUSTOM_MIN_LENGTH = CUSTOM_CONTENT_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int TSOFFSET_LENGTH = 8;
    private static final int TIMESTAMP_LENGTH = 8;

    /** Receives the options a block reader interprets itself; the others are carried on. */
    @FunctionalInterface
    private interface OptionHandler {
        /** @return whether the option was taken (interpreted, or carried in another form) */
        boolean take(int code, int valueAt, int length, OptionCollector carried);
    }

    private final ByteInput input;
    private final List<CaptureInterface> interfaces = new ArrayList<>();
    private final List<Timescale> timescales = new ArrayList<>();
    private final SkippedBlocks skipped = new SkippedBlocks();
    /** The view {@link #nextBlock()} reads each packet into before copying it out. */
    private final PacketView scratch = new PacketView();
    private SectionInfo firstSection;
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
    public SectionInfo section() {
        return firstSection;
    }

    @Override
    public List<CaptureInterface> interfaces() {
        return List.copyOf(interfaces);
    }

    @Override
    public int interfaceCount() {
        return interfaces.size();
    }

    @Override
    public Optional<String> truncation() {
        return truncation == null || truncation.isEmpty() ? Optional.empty() : Optional.of(truncation);
    }

    @Override
    public Optional<String> skipped() {
        return skipped.describe(input.source());
    }

    @Override
    public CaptureBlock nextBlock() {
        return PacketView.kept(nextBlock(scratch));
    }

    @Override
    public CaptureBlock nextBlock(PacketView packet) {
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
            CaptureBlock block = readBlock(input.getInt(BLOCK_TYPE_OFFSET), length, packet);
            input.skip(length);
            if (block == packet) {
                records++;
            }
            if (block != null) {
                return block;
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
        if (firstSection == null) {
            firstSection = readSectionInfo(length);
        }
        sectionBase = interfaces.size();
        input.skip(length);
        return true;
    }

    /** The section's comments, hardware and OS; its shb_userappl names the program that wrote it, not meshcap. */
    private SectionInfo readSectionInfo(int length) {
        List<String> comments = new ArrayList<>();
        String[] hardwareAndOs = new String[2];
        options(SECTION_HEADER, SHB_OPTIONS_OFFSET, length, (code, at, valueLength, carried) -> {
            switch (code) {
                case OPT_COMMENT -> comments.add(string(at, valueLength));
                case SHB_HARDWARE -> hardwareAndOs[0] = string(at, valueLength);
                case SHB_OS -> hardwareAndOs[1] = string(at, valueLength);
                default -> {
                    // shb_userappl and anything else describe the file being read, not the one meshcap writes.
                }
            }
            return true;
        });
        return new SectionInfo(comments, hardwareAndOs[0], hardwareAndOs[1]);
    }

    private CaptureBlock readBlock(int type, int length, PacketView packet) {
        switch (type) {
            case INTERFACE_DESCRIPTION -> {
                readInterface(length);
                return null;
            }
            case ENHANCED_PACKET -> {
                int id = sectionInterface(input.getInt(EPB_INTERFACE_OFFSET), "packet");
                return readPacket(ENHANCED_PACKET, length, id, packet);
            }
            case PACKET_OBSOLETE -> {
                int id = sectionInterface(input.getUnsignedShort(PB_INTERFACE_OFFSET), "packet");
                return readPacket(PACKET_OBSOLETE, length, id, packet);
            }
            case SIMPLE_PACKET -> {
                return readSimplePacket(length, packet);
            }
            case INTERFACE_STATISTICS -> {
                return readStatistics(length);
            }
            case DECRYPTION_SECRETS -> {
                return readSecrets(length);
            }
            case NAME_RESOLUTION -> {
                return readNameResolution(length);
            }
            case CUSTOM_COPYABLE -> {
                return readCustom(length);
            }
            default -> {
                skipped.block(describeSkipped(type), input.offset());
                return null;
            }
        }
    }

    private static String describeSkipped(int type) {
        return switch (type) {
            case CUSTOM_NOT_COPYABLE -> "of a custom type marked not to be copied";
            case SYSTEMD_JOURNAL -> "of systemd journal entries";
            default -> String.format("of unknown type 0x%08x", type);
        };
    }

    private void readInterface(int length) {
        if (length < IDB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "interface description block of " + length + " bytes is too short");
        }
        int linkType = input.getUnsignedShort(IDB_LINKTYPE_OFFSET);
        int snapLength = Math.max(input.getInt(IDB_SNAPLEN_OFFSET), 0);
        String[] nameAndDescription = new String[2];
        int[] tsresol = {Timescale.DEFAULT_TSRESOL};
        long[] tsoffset = {0, 0}; // seconds, and where the option is
        RawOptions carried = options(INTERFACE_DESCRIPTION, IDB_OPTIONS_OFFSET, length, (code, at, valueLength, out) -> {
            switch (code) {
                case IF_NAME -> nameAndDescription[0] = string(at, valueLength);
                case IF_DESCRIPTION -> nameAndDescription[1] = string(at, valueLength);
                case IF_TSRESOL -> tsresol[0] = resolution(at, valueLength);
                case IF_TSOFFSET -> {
                    if (valueLength == TSOFFSET_LENGTH) {
                        tsoffset[0] = input.getLong(at);
                        tsoffset[1] = at;
                    }
                }
                default -> {
                    return false;
                }
            }
            return true;
        });
        try {
            timescales.add(new Timescale(tsresol[0], tsoffset[0]));
        } catch (ArithmeticException e) {
            throw damage((int) tsoffset[1], "interface's if_tsoffset of " + tsoffset[0]
                    + " seconds is beyond 1970 to 2262, the times meshcap can hold");
        }
        interfaces.add(new CaptureInterface(linkType, snapLength, nameAndDescription[0], nameAndDescription[1],
                carried));
    }

    private int resolution(int at, int valueLength) {
        if (valueLength < 1) {
            return Timescale.DEFAULT_TSRESOL;
        }
        int tsresol = input.getUnsignedByte(at);
        if (!Timescale.isCountable(tsresol)) {
            throw damage(at, String.format("if_tsresol 0x%02x asks for time units finer than a 64-bit count can hold"
                    + " (at most 10^-19 or 2^-63 seconds)", tsresol));
        }
        return tsresol;
    }

    private PacketView readPacket(int type, int length, int interfaceId, PacketView packet) {
        if (length < EPB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "packet block of " + length + " bytes is too short");
        }
        int capturedLength = input.getInt(EPB_CAPTURED_LENGTH_OFFSET);
        int end = length - BLOCK_TRAILER_LENGTH;
        if (capturedLength < 0 || capturedLength > end - EPB_DATA_OFFSET) {
            throw damage(EPB_CAPTURED_LENGTH_OFFSET, "packet claims " + Integer.toUnsignedString(capturedLength)
                    + " captured bytes in a block of " + length);
        }
        long timestamp = nanos(interfaceId, EPB_TS_HIGH_OFFSET);
        int originalLength = input.getInt(EPB_ORIGINAL_LENGTH_OFFSET);
        int optionsStart = EPB_DATA_OFFSET + capturedLength + padding(capturedLength);
        RawOptions options = optionsStart < end ? options(type, optionsStart, length, null) : RawOptions.NONE;
        return packet.set(interfaceId, timestamp, originalLength, input.array(), input.arrayIndex(EPB_DATA_OFFSET),
                capturedLength, options);
    }

    /** The timestamp at {@code offset} in the block (high then low 32 bits, in the interface's units), in nanoseconds. */
    private long nanos(int interfaceId, int offset) {
        long units = (Integer.toUnsignedLong(input.getInt(offset)) << Integer.SIZE)
                | Integer.toUnsignedLong(input.getInt(offset + Integer.BYTES));
        try {
            return timescales.get(interfaceId).toNanos(units);
        } catch (ArithmeticException e) {
            throw damage(offset, "timestamp " + Long.toUnsignedString(units) + " of interface " + interfaceId
                    + " is outside 1970 to 2262, the times meshcap can hold");
        }
    }

    private PacketView readSimplePacket(int length, PacketView packet) {
        if (length < SPB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "simple packet block of " + length + " bytes is too short");
        }
        int interfaceId = sectionInterface(0, "simple packet");
        int originalLength = input.getInt(SPB_ORIGINAL_LENGTH_OFFSET);
        // The SPB has no captured length: it is the original length cut to the snaplen and to the block.
        int capturedLength = Math.min(length - SPB_MIN_LENGTH, originalLength < 0 ? Integer.MAX_VALUE : originalLength);
        int snapLength = interfaces.get(interfaceId).snapLength();
        if (snapLength > 0) {
            capturedLength = Math.min(capturedLength, snapLength);
        }
        // An SPB has no timestamp; 0 keeps it first in a merge, as Wireshark shows it.
        return packet.set(interfaceId, 0L, originalLength, input.array(), input.arrayIndex(SPB_DATA_OFFSET),
                capturedLength, RawOptions.NONE);
    }

    private InterfaceStatistics readStatistics(int length) {
        if (length < ISB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "interface statistics block of " + length + " bytes is too short");
        }
        int interfaceId = sectionInterface(input.getInt(ISB_INTERFACE_OFFSET), "interface statistics block");
        long timestamp = nanos(interfaceId, ISB_TS_HIGH_OFFSET);
        RawOptions options = options(INTERFACE_STATISTICS, ISB_OPTIONS_OFFSET, length, (code, at, valueLength, out) -> {
            if ((code != ISB_STARTTIME && code != ISB_ENDTIME) || valueLength != TIMESTAMP_LENGTH) {
                return false;
            }
            // In the interface's units like a packet's time; carried in nanoseconds like every time meshcap writes.
            long nanos = nanos(interfaceId, at);
            out.put(code, OptionCollector.value(TIMESTAMP_LENGTH)
                    .putInt((int) (nanos >>> Integer.SIZE)).putInt((int) nanos));
            return true;
        });
        return new InterfaceStatistics(interfaceId, timestamp, options);
    }

    private DecryptionSecrets readSecrets(int length) {
        if (length < DSB_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "decryption secrets block of " + length + " bytes is too short");
        }
        int secretsLength = input.getInt(DSB_LENGTH_OFFSET);
        int end = length - BLOCK_TRAILER_LENGTH;
        if (secretsLength < 0 || secretsLength > end - DSB_DATA_OFFSET) {
            throw damage(DSB_LENGTH_OFFSET, "decryption secrets claim " + Integer.toUnsignedString(secretsLength)
                    + " bytes in a block of " + length);
        }
        int optionsStart = DSB_DATA_OFFSET + secretsLength + padding(secretsLength);
        RawOptions options = optionsStart < end ? options(DECRYPTION_SECRETS, optionsStart, length, null)
                : RawOptions.NONE;
        return new DecryptionSecrets(input.getInt(DSB_TYPE_OFFSET), input.copy(DSB_DATA_OFFSET, secretsLength), options);
    }

    /** The records, converted to little-endian headers when the section is big-endian, then the options. */
    private OpaqueBlock readNameResolution(int length) {
        int end = length - BLOCK_TRAILER_LENGTH;
        ByteBuffer body = ByteBuffer.allocate(end - NRB_RECORDS_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        int at = NRB_RECORDS_OFFSET;
        while (true) {
            if (at + OPTION_HEADER_LENGTH > end) {
                throw damage(at, "name resolution records run past the end of their block");
            }
            int recordType = input.getUnsignedShort(at);
            int valueLength = optionLength(at, end);
            body.putShort((short) recordType).putShort((short) valueLength);
            input.copyTo(at + OPTION_HEADER_LENGTH, body.array(), body.position(), valueLength);
            body.position(body.position() + valueLength + padding(valueLength));
            at += OPTION_HEADER_LENGTH + valueLength + padding(valueLength);
            if (recordType == NRB_RECORD_END) {
                break;
            }
        }
        RawOptions options = at < end ? options(NAME_RESOLUTION, at, length, null) : RawOptions.NONE;
        byte[] records = Arrays.copyOf(body.array(), body.position());
        if (options.isEmpty()) {
            return new OpaqueBlock(NAME_RESOLUTION, records);
        }
        ByteBuffer all = ByteBuffer.allocate(records.length + options.encoded().length + OPTION_HEADER_LENGTH);
        return new OpaqueBlock(NAME_RESOLUTION, all.put(records).put(options.encoded()).array()); // then opt_endofopt
    }

    /** The enterprise number in little-endian order, then the vendor's own content as it is. */
    private OpaqueBlock readCustom(int length) {
        if (length < CUSTOM_MIN_LENGTH) {
            throw damage(BLOCK_LENGTH_OFFSET, "custom block of " + length + " bytes is too short");
        }
        ByteBuffer body = ByteBuffer.allocate(length - BLOCK_TRAILER_LENGTH - CUSTOM_PEN_OFFSET)
                .order(ByteOrder.LITTLE_ENDIAN).putInt(input.getInt(CUSTOM_PEN_OFFSET));
        input.copyTo(CUSTOM_CONTENT_OFFSET, body.array(), Integer.BYTES, body.remaining());
        return new OpaqueBlock(CUSTOM_COPYABLE, body.array());
    }

    /** Maps a section-local interface id to the global one, or reports a reference to an undefined interface. */
    private int sectionInterface(int localId, String block) {
        int defined = interfaces.size() - sectionBase;
        if (localId < 0 || localId >= defined) {
            throw damage(EPB_INTERFACE_OFFSET, block + " refers to interface " + Integer.toUnsignedString(localId)
                    + ", but its section defines " + defined);
        }
        return sectionBase + localId;
    }

    /**
     * Walks a block's options from {@code start} to the trailer of a block of {@code length} bytes: those
     * {@code handler} takes are its business, the others are carried, converted to little-endian when the section is
     * big-endian and their layout is known.
     */
    private RawOptions options(int blockType, int start, int length, OptionHandler handler) {
        int end = length - BLOCK_TRAILER_LENGTH;
        OptionCollector carried = new OptionCollector(input, Math.max(end - start, 0));
        boolean bigEndian = input.order() == ByteOrder.BIG_ENDIAN;
        for (int at = start; at + OPTION_HEADER_LENGTH <= end; ) {
            int code = input.getUnsignedShort(at);
            int valueLength = optionLength(at, end);
            int value = at + OPTION_HEADER_LENGTH;
            if (code == OPT_ENDOFOPT) {
                break;
            }
            if (handler == null || !handler.take(code, value, valueLength, carried)) {
                carry(OptionLayout.of(blockType, code), code, value, valueLength, bigEndian, carried);
            }
            at = value + valueLength + padding(valueLength);
        }
        return carried.build();
    }

    private void carry(OptionLayout layout, int code, int value, int length, boolean bigEndian, OptionCollector out) {
        if (layout == OptionLayout.NOT_COPYABLE) {
            return;
        }
        if (!bigEndian) {
            out.copy(code, value, length);
            return;
        }
        switch (layout) {
            case BYTES -> out.copy(code, value, length);
            case UINT32 -> carryNumber(code, value, length, Integer.BYTES, out);
            case UINT64 -> carryNumber(code, value, length, Long.BYTES, out);
            case FILTER -> {
                if (length >= 1 && input.getUnsignedByte(value) == 0) {
                    out.copy(code, value, length);
                } else {
                    skipped.option();
                }
            }
            case VERDICT -> carryVerdict(code, value, length, out);
            case CUSTOM -> {
                if (length >= Integer.BYTES) {
                    ByteBuffer converted = OptionCollector.value(length).putInt(input.getInt(value));
                    input.copyTo(value + Integer.BYTES, converted.array(), Integer.BYTES, length - Integer.BYTES);
                    out.put(code, converted);
                } else {
                    skipped.option();
                }
            }
            default -> skipped.option();
        }
    }

    private void carryNumber(int code, int value, int length, int size, OptionCollector out) {
        if (length != size) {
            skipped.option();
            return;
        }
        ByteBuffer converted = OptionCollector.value(size);
        if (size == Integer.BYTES) {
            converted.putInt(input.getInt(value));
        } else {
            converted.putLong(input.getLong(value));
        }
        out.put(code, converted);
    }

    /** epb_verdict: a type byte, then hardware bytes (type 1) or a 64-bit eBPF verdict (types 2 and 3). */
    private void carryVerdict(int code, int value, int length, OptionCollector out) {
        int type = length >= 1 ? input.getUnsignedByte(value) : -1;
        if (type == 1) {
            out.copy(code, value, length);
        } else if ((type == 2 || type == 3) && length == 1 + Long.BYTES) {
            out.put(code, OptionCollector.value(length).put((byte) type).putLong(input.getLong(value + 1)));
        } else {
            skipped.option();
        }
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
