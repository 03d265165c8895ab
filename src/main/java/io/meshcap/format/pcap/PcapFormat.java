package io.meshcap.format.pcap;

import io.meshcap.format.ByteInput;
import io.meshcap.format.CaptureFormat;
import io.meshcap.format.CaptureReader;

/**
 * Classic libpcap files: microsecond or nanosecond timestamps, either byte order.
 * Layout: a 24-byte file header, then per record a 16-byte header and the captured bytes.
 */
public final class PcapFormat implements CaptureFormat {

    static final int MAGIC_MICROS = 0xa1b2c3d4;
    static final int MAGIC_NANOS = 0xa1b23c4d;

    static final int FILE_HEADER_LENGTH = 24;
    static final int VERSION_MAJOR_OFFSET = 4;
    static final int VERSION_MINOR_OFFSET = 6;
    static final int SNAPLEN_OFFSET = 16;
    static final int LINKTYPE_OFFSET = 20;
    /** The link-type field's upper bits carry FCS information, not the type. */
    static final int LINKTYPE_MASK = 0xffff;
    static final int VERSION_MAJOR = 2;
    static final int VERSION_MINOR = 4;

    static final int RECORD_HEADER_LENGTH = 16;
    static final int TS_SECONDS_OFFSET = 0;
    static final int TS_FRACTION_OFFSET = 4;
    static final int CAPTURED_LENGTH_OFFSET = 8;
    static final int ORIGINAL_LENGTH_OFFSET = 12;

    @Override
    public String name() {
        return "pcap";
    }

    @Override
    public boolean recognises(int magic) {
        return magic == MAGIC_MICROS || magic == MAGIC_NANOS
                || magic == Integer.reverseBytes(MAGIC_MICROS) || magic == Integer.reverseBytes(MAGIC_NANOS);
    }

    @Override
    public CaptureReader open(ByteInput input) {
        return new PcapReader(input);
    }
}
