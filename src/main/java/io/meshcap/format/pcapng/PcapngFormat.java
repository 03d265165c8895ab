package io.meshcap.format.pcapng;

import io.meshcap.format.ByteInput;
import io.meshcap.format.CaptureFormat;
import io.meshcap.format.CaptureReader;

/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each {@code type, total length, body, total length},
 * 32-bit aligned. A Section Header Block starts every section and fixes its byte order; Interface Description
 * Blocks define the section's interfaces; packets are Enhanced, Simple or (obsolete) Packet Blocks.
 */
public final class PcapngFormat implements CaptureFormat {

    static final int SECTION_HEADER = 0x0a0d0d0a;
    static final int INTERFACE_DESCRIPTION = 0x00000001;
    static final int PACKET_OBSOLETE = 0x00000002;
    static final int SIMPLE_PACKET = 0x00000003;
    static final int NAME_RESOLUTION = 0x00000004;
    static final int INTERFACE_STATISTICS = 0x00000005;
    static final int ENHANCED_PACKET = 0x00000006;
    static final int IRIG_TIMESTAMP = 0x00000007;
    static final int ARINC_429 = 0x00000008;
    static final int SYSTEMD_JOURNAL = 0x00000009;
    static final int DECRYPTION_SECRETS = 0x0000000a;
    static final int CUSTOM_COPYABLE = 0x00000bad;
    static final int CUSTOM_NOT_COPYABLE = 0x40000bad;

    static final int BYTE_ORDER_MAGIC = 0x1a2b3c4d;
    static final int VERSION_MAJOR = 1;
    static final int VERSION_MINOR = 0;
    /** "Section length not specified". */
    static final long SECTION_LENGTH_UNKNOWN = -1L;

    /** Block header (type, total length) and trailer (total length). */
    static final int BLOCK_HEADER_LENGTH = 8;
    static final int BLOCK_TRAILER_LENGTH = 4;
    static final int BLOCK_TYPE_OFFSET = 0;
    static final int BLOCK_LENGTH_OFFSET = 4;
    static final int MIN_BLOCK_LENGTH = BLOCK_HEADER_LENGTH + BLOCK_TRAILER_LENGTH;

    // Section Header Block body, offsets from the block start.
    static final int SHB_MAGIC_OFFSET = 8;
    static final int SHB_VERSION_MAJOR_OFFSET = 12;
    static final int SHB_OPTIONS_OFFSET = 24;

    // Interface Description Block.
    static final int IDB_LINKTYPE_OFFSET = 8;
    static final int IDB_SNAPLEN_OFFSET = 12;
    static final int IDB_OPTIONS_OFFSET = 16;

    // Enhanced Packet Block.
    static final int EPB_INTERFACE_OFFSET = 8;
    static final int EPB_TS_HIGH_OFFSET = 12;
    static final int EPB_TS_LOW_OFFSET = 16;
    static final int EPB_CAPTURED_LENGTH_OFFSET = 20;
    static final int EPB_ORIGINAL_LENGTH_OFFSET = 24;
    static final int EPB_DATA_OFFSET = 28;

    // Simple Packet Block.
    static final int SPB_ORIGINAL_LENGTH_OFFSET = 8;
    static final int SPB_DATA_OFFSET = 12;

    // Packet Block (obsolete): 16-bit interface id and drops count, then as the EPB.
    static final int PB_INTERFACE_OFFSET = 8;

    // Decryption Secrets Block.
    static final int DSB_TYPE_OFFSET = 8;
    static final int DSB_LENGTH_OFFSET = 12;
    static final int DSB_DATA_OFFSET = 16;

    // Interface Statistics Block.
    static final int ISB_INTERFACE_OFFSET = 8;
    static final int ISB_TS_HIGH_OFFSET = 12;
    static final int ISB_TS_LOW_OFFSET = 16;
    static final int ISB_OPTIONS_OFFSET = 20;

    // Name Resolution Block: records (type and length, 16 bits each, value padded to 32 bits) up to an end record,
    // then options.
    static final int NRB_RECORDS_OFFSET = 8;
    static final int NRB_RECORD_END = 0;

    // Custom Block.
    static final int CUSTOM_PEN_OFFSET = 8;
    static final int CUSTOM_CONTENT_OFFSET = 12;

    // Options: code and length (16 bits each), value padded to 32 bits.
    static final int OPTION_HEADER_LENGTH = 4;
    static final int OPT_ENDOFOPT = 0;
    static final int OPT_COMMENT = 1;
    static final int SHB_HARDWARE = 2;
    static final int SHB_OS = 3;
    static final int SHB_USERAPPL = 4;
    static final int IF_NAME = 2;
    static final int IF_DESCRIPTION = 3;
    static final int IF_TSRESOL = 9;
    static final int IF_TSOFFSET = 14;
    static final int ISB_STARTTIME = 2;
    static final int ISB_ENDTIME = 3;
    /** if_tsresol for nanoseconds: 10^-9. */
    static final int TSRESOL_NANOS = 9;

    @Override
    public String name() {
        return "pcapng";
    }

    @Override
    public boolean recognises(int magic) {
        // The SHB block type is a palindrome, the same in either byte order.
        return magic == SECTION_HEADER;
    }

    @Override
    public CaptureReader open(ByteInput input) {
        return new PcapngReader(input);
    }
}
