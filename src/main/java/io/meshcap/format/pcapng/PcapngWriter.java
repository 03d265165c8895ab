package io.meshcap.format.pcapng;

import static io.meshcap.format.pcapng.PcapngFormat.*;

import io.meshcap.format.ByteOutput;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes one pcapng section: an SHB naming the writing application, one IDB per interface (if_name,
 * if_description, if_tsresol = nanoseconds), optional Decryption Secrets Blocks, then Enhanced Packet Blocks
 * with opt_comment where the record has a comment.
 */
public final class PcapngWriter implements CaptureWriter {

    private static final int EPB_FIXED_LENGTH = EPB_DATA_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int IDB_FIXED_LENGTH = IDB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int SHB_FIXED_LENGTH = SHB_OPTIONS_OFFSET + BLOCK_TRAILER_LENGTH;
    private static final int TSRESOL_OPTION_LENGTH = OPTION_HEADER_LENGTH + 4;
    private static final int END_OF_OPTIONS_LENGTH = OPTION_HEADER_LENGTH;
    /** Option values are at most 65535 bytes; longer texts are cut there. */
    private static final int MAX_OPTION_VALUE = 0xffff;

    private final ByteOutput output;
    private int interfaceCount;
    private boolean recordWritten;

    /**
     * Writes the section header at once.
     *
     * @param userApplication shb_userappl, e.g. {@code meshcap 0.1.0}; {@code null} for none
     */
    public PcapngWriter(ByteOutput output, String userApplication) {
        this.output = output;
        byte[] application = utf8(userApplication);
        int length = SHB_FIXED_LENGTH + optionsLength(application);
        output.putInt(SECTION_HEADER);
        output.putInt(length);
        output.putInt(BYTE_ORDER_MAGIC);
        output.putShort(VERSION_MAJOR);
        output.putShort(VERSION_MINOR);
        output.putInt((int) SECTION_LENGTH_UNKNOWN);
        output.putInt((int) (SECTION_LENGTH_UNKNOWN >>> Integer.SIZE));
        if (application != null) {
            putOption(SHB_USERAPPL, application);
            putEndOfOptions();
        }
        output.putInt(length);
    }

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        byte[] name = utf8(captureInterface.name());
        byte[] description = utf8(captureInterface.description());
        int length = IDB_FIXED_LENGTH + optionLength(name) + optionLength(description)
                + TSRESOL_OPTION_LENGTH + END_OF_OPTIONS_LENGTH;
        output.putInt(INTERFACE_DESCRIPTION);
        output.putInt(length);
        output.putShort(captureInterface.linkType());
        output.putShort(0); // reserved
        output.putInt(captureInterface.snapLength());
        if (name != null) {
            putOption(IF_NAME, name);
        }
        if (description != null) {
            putOption(IF_DESCRIPTION, description);
        }
        output.putShort(IF_TSRESOL);
        output.putShort(1);
        output.putInt(TSRESOL_NANOS); // the value byte, then three bytes of padding (little-endian)
        putEndOfOptions();
        output.putInt(length);
        return interfaceCount++;
    }

    @Override
    public void addDecryptionSecrets(int secretsType, byte[] secrets) {
        if (recordWritten) {
            throw new IllegalStateException("decryption secrets must come before the first record");
        }
        int length = BLOCK_HEADER_LENGTH + DSB_FIXED_LENGTH + secrets.length + ByteOutput.padding(secrets.length)
                + BLOCK_TRAILER_LENGTH;
        output.putInt(DECRYPTION_SECRETS);
        output.putInt(length);
        output.putInt(secretsType);
        output.putInt(secrets.length);
        output.put(secrets, true);
        output.putInt(length);
    }

    @Override
    public void write(CaptureRecord record) {
        if (record.interfaceId() < 0 || record.interfaceId() >= interfaceCount) {
            throw new IllegalArgumentException("interface " + record.interfaceId() + " was not added");
        }
        recordWritten = true;
        byte[] data = record.data();
        byte[] comment = utf8(record.comment());
        int length = EPB_FIXED_LENGTH + data.length + ByteOutput.padding(data.length) + optionsLength(comment);
        long timestamp = record.timestampNanos();
        output.putInt(ENHANCED_PACKET);
        output.putInt(length);
        output.putInt(record.interfaceId());
        output.putInt((int) (timestamp >>> Integer.SIZE));
        output.putInt((int) timestamp);
        output.putInt(data.length);
        output.putInt(record.originalLength());
        output.put(data, true);
        if (comment != null) {
            putOption(OPT_COMMENT, comment);
            putEndOfOptions();
        }
        output.putInt(length);
    }

    @Override
    public void close() {
        output.close();
    }

    private void putOption(int code, byte[] value) {
        output.putShort(code);
        output.putShort(value.length);
        output.put(value, true);
    }

    private void putEndOfOptions() {
        output.putShort(OPT_ENDOFOPT);
        output.putShort(0);
    }

    /** Space for one option and the end-of-options marker, or nothing when there is no value. */
    private static int optionsLength(byte[] value) {
        return value == null ? 0 : optionLength(value) + END_OF_OPTIONS_LENGTH;
    }

    private static int optionLength(byte[] value) {
        return value == null ? 0 : OPTION_HEADER_LENGTH + value.length + ByteOutput.padding(value.length);
    }

    private static byte[] utf8(String text) {
        if (text == null) {
            return null;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= MAX_OPTION_VALUE ? bytes : Arrays.copyOf(bytes, MAX_OPTION_VALUE);
    }
}
