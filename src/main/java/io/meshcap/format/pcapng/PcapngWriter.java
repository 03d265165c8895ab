package io.meshcap.format.pcapng;

import static io.meshcap.format.pcapng.PcapngFormat.*;

import io.meshcap.format.ByteOutput;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.InterfaceStatistics;
import io.meshcap.format.OpaqueBlock;
import io.meshcap.format.PacketView;
import io.meshcap.format.RawOptions;
import io.meshcap.format.SectionInfo;

/**
 * Writes one pcapng section: an SHB naming the writing application (with the comments, hardware and OS it is
 * told), one IDB per interface (if_name, if_description, if_tsresol = nanoseconds, and the interface's other
 * options as they came), then packets as Enhanced Packet Blocks with their options, and decryption secrets,
 * interface statistics and the blocks carried unread (name resolution, custom blocks) where they are written. Options are copied as
 * {@link RawOptions} hold them, never re-encoded.
 *
 * <p>The section header is written with the first interface or block (or at close), so that
 * {@link #describeSection} can come after creation.
 */
public final class PcapngWriter implements CaptureWriter {

    private static final int EPB_FIXED_LENGTH = EPB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int IDB_FIXED_LENGTH = IDB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int SHB_FIXED_LENGTH = SHB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int ISB_FIXED_LENGTH = ISB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int DSB_FIXED_LENGTH = DSB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int TSRESOL_OPTION_LENGTH = OPTION_HEADER_LENGTH + 4;
    private static final int END_OF_OPTIONS_LENGTH = OPTION_HEADER_LENGTH;

    private final ByteOutput output;
    private final String userApplication;
    private SectionInfo section = SectionInfo.NONE;
    private boolean sectionWritten;
    private int interfaceCount;
    /** Records are written through a view of their bytes, as packets still in a reader's buffer are. */
    private final PacketView scratch = new PacketView();

    /** @param userApplication shb_userappl, e.g. {@code meshcap 0.1.0}; {@code null} for none */
    public PcapngWriter(ByteOutput output, String userApplication) {
        this.output = output;
        this.userApplication = userApplication;
    }

    @Override
    public void describeSection(SectionInfo info) {
        if (sectionWritten) {
            throw new IllegalStateException("the section header is already written");
        }
        section = info;
    }

    private void writeSectionHeader() {
        if (sectionWritten) {
            return;
        }
        sectionWritten = true;
        RawOptions options = RawOptions.NONE;
        if (section.hardware() != null) {
            options = options.plus(SHB_HARDWARE, section.hardware());
        }
        if (section.os() != null) {
            options = options.plus(SHB_OS, section.os());
        }
        if (userApplication != null) {
            options = options.plus(SHB_USERAPPL, userApplication);
        }
        for (String comment : section.comments()) {
            options = options.plus(OPT_COMMENT, comment);
        }
        int length = SHB_FIXED_LENGTH + optionsLength(options);
        output.putInt(SECTION_HEADER);
        output.putInt(length);
        output.putInt(BYTE_ORDER_MAGIC);
        output.putShort(VERSION_MAJOR);
        output.putShort(VERSION_MINOR);
        output.putInt((int) SECTION_LENGTH_UNKNOWN);
        output.putInt((int) (SECTION_LENGTH_UNKNOWN >>> Integer.SIZE));
        putOptions(options);
        output.putInt(length);
    }

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        writeSectionHeader();
        RawOptions labels = RawOptions.NONE;
        if (captureInterface.name() != null) {
            labels = labels.plus(IF_NAME, captureInterface.name());
        }
        if (captureInterface.description() != null) {
            labels = labels.plus(IF_DESCRIPTION, captureInterface.description());
        }
        byte[] carried = captureInterface.options().encoded();
        int length = IDB_FIXED_LENGTH + labels.encoded().length + TSRESOL_OPTION_LENGTH + carried.length
                + END_OF_OPTIONS_LENGTH;
        output.putInt(INTERFACE_DESCRIPTION);
        output.putInt(length);
        output.putShort(captureInterface.linkType());
        output.putShort(0); // reserved
        output.putInt(captureInterface.snapLength());
        output.put(labels.encoded(), false);
        output.putShort(IF_TSRESOL);
        output.putShort(1);
        output.putInt(TSRESOL_NANOS); // the value byte, then three bytes of padding (little-endian)
        output.put(carried, false);
        putEndOfOptions();
        output.putInt(length);
        return interfaceCount++;
    }

    @Override
    public void write(CaptureBlock block) {
        writeSectionHeader();
        if (block instanceof CaptureRecord record) {
            writePacket(scratch.of(record));
        } else if (block instanceof PacketView packet) {
            writePacket(packet);
        } else if (block instanceof InterfaceStatistics statistics) {
            writeStatistics(statistics);
        } else if (block instanceof DecryptionSecrets secrets) {
            writeSecrets(secrets);
        } else if (block instanceof OpaqueBlock opaque) {
            writeOpaque(opaque);
        }
    }

    private void writePacket(PacketView packet) {
        checkInterface(packet.interfaceId());
        int captured = packet.capturedLength();
        int length = EPB_FIXED_LENGTH + captured + ByteOutput.padding(captured) + optionsLength(packet.options());
        long timestamp = packet.timestampNanos();
        output.putInt(ENHANCED_PACKET);
        output.putInt(length);
        output.putInt(packet.interfaceId());
        output.putInt((int) (timestamp >>> Integer.SIZE));
        output.putInt((int) timestamp);
        output.putInt(captured);
        output.putInt(packet.originalLength());
        output.put(packet.bytes(), packet.offset(), captured, true);
        putOptions(packet.options());
        output.putInt(length);
    }

    private void writeStatistics(InterfaceStatistics statistics) {
        checkInterface(statistics.interfaceId());
        int length = ISB_FIXED_LENGTH + optionsLength(statistics.options());
        long timestamp = statistics.timestampNanos();
        output.putInt(INTERFACE_STATISTICS);
        output.putInt(length);
        output.putInt(statistics.interfaceId());
        output.putInt((int) (timestamp >>> Integer.SIZE));
        output.putInt((int) timestamp);
        putOptions(statistics.options());
        output.putInt(length);
    }

    private void writeSecrets(DecryptionSecrets secrets) {
        byte[] data = secrets.secrets();
        int length = DSB_FIXED_LENGTH + data.length + ByteOutput.padding(data.length) + optionsLength(secrets.options());
        output.putInt(DECRYPTION_SECRETS);
        output.putInt(length);
        output.putInt(secrets.secretsType());
        output.putInt(data.length);
        output.put(data, true);
        putOptions(secrets.options());
        output.putInt(length);
    }

    private void writeOpaque(OpaqueBlock block) {
        byte[] body = block.body();
        int length = BLOCK_HEADER_LENGTH + body.length + ByteOutput.padding(body.length) + BLOCK_TRAILER_LENGTH;
        output.putInt(block.blockType());
        output.putInt(length);
        output.put(body, true);
        output.putInt(length);
    }

    private void checkInterface(int id) {
        if (id < 0 || id >= interfaceCount) {
            throw new IllegalArgumentException("interface " + id + " was not added");
        }
    }

    @Override
    public void flush() {
        writeSectionHeader();
        output.flush();
    }

    @Override
    public void close() {
        try {
            writeSectionHeader(); // even without interfaces: an empty capture is still a valid file
        } finally {
            output.close();
        }
    }

    private void putOptions(RawOptions options) {
        if (!options.isEmpty()) {
            output.put(options.encoded(), false);
            putEndOfOptions();
        }
    }

    private void putEndOfOptions() {
        output.putShort(OPT_ENDOFOPT);
        output.putShort(0);
    }

    /** Space for the options and the end-of-options marker, or nothing when there are none. */
    private static int optionsLength(RawOptions options) {
        return options.isEmpty() ? 0 : options.encoded().length + END_OF_OPTIONS_LENGTH;
    }
}
