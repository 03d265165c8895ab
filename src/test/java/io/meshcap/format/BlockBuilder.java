package io.meshcap.format;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds pcap and pcapng bytes by hand, in either byte order, straight from the specifications
 * (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng), so tests cover what meshcap's writer never produces.
 */
public final class BlockBuilder {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final ByteOrder order;

    public BlockBuilder(ByteOrder order) {
        this.order = order;
    }

    public byte[] toByteArray() {
        return bytes.toByteArray();
    }

    /** Bytes so far: the offset where the next block starts. */
    public int size() {
        return bytes.size();
    }

    /** Appends raw bytes, e.g. another file's content. */
    public BlockBuilder raw(byte[] raw) {
        bytes.writeBytes(raw);
        return this;
    }

    // ---- classic pcap

    public BlockBuilder pcapHeader(boolean nanos, int snaplen, int linkType) {
        return raw(buffer(24).putInt(nanos ? 0xa1b23c4d : 0xa1b2c3d4).putShort((short) 2).putShort((short) 4)
                .putInt(0).putInt(0).putInt(snaplen).putInt(linkType).array());
    }

    public BlockBuilder pcapRecord(long seconds, long fraction, int originalLength, byte[] data) {
        raw(buffer(16).putInt((int) seconds).putInt((int) fraction).putInt(data.length).putInt(originalLength).array());
        return raw(data);
    }

    // ---- pcapng

    public BlockBuilder shb(byte[]... options) {
        ByteBuffer body = buffer(16).putInt(0x1a2b3c4d).putShort((short) 1).putShort((short) 0).putLong(-1L);
        return block(0x0a0d0d0a, body.array(), options);
    }

    public BlockBuilder idb(int linkType, int snaplen, byte[]... options) {
        return block(1, buffer(8).putShort((short) linkType).putShort((short) 0).putInt(snaplen).array(), options);
    }

    public BlockBuilder epb(int interfaceId, long units, int originalLength, byte[] data, byte[]... options) {
        ByteBuffer fixed = buffer(20).putInt(interfaceId).putInt((int) (units >>> 32)).putInt((int) units)
                .putInt(data.length).putInt(originalLength);
        return block(6, concat(fixed.array(), padded(data)), options);
    }

    /** The obsolete Packet Block: 16-bit interface id and drops count instead of the EPB's 32-bit id. */
    public BlockBuilder pb(int interfaceId, long units, int originalLength, byte[] data, byte[]... options) {
        ByteBuffer fixed = buffer(20).putShort((short) interfaceId).putShort((short) 0).putInt((int) (units >>> 32))
                .putInt((int) units).putInt(data.length).putInt(originalLength);
        return block(2, concat(fixed.array(), padded(data)), options);
    }

    public BlockBuilder spb(int originalLength, byte[] data) {
        return block(3, concat(buffer(4).putInt(originalLength).array(), padded(data)));
    }

    /** Interface statistics: interface, time in the interface's units, then options (isb_ifrecv, ...). */
    public BlockBuilder isb(int interfaceId, long units, byte[]... options) {
        return block(5, buffer(12).putInt(interfaceId).putInt((int) (units >>> 32)).putInt((int) units).array(),
                options);
    }

    /** Decryption secrets of a type (e.g. 0x544c534b, a TLS key log), then options. */
    public BlockBuilder dsb(int secretsType, byte[] secrets, byte[]... options) {
        return block(10, concat(buffer(8).putInt(secretsType).putInt(secrets.length).array(), padded(secrets)),
                options);
    }

    /** A name resolution block with one IPv4 record (address and names), then options. */
    public BlockBuilder nrbIpv4(byte[] address, String... names) {
        java.io.ByteArrayOutputStream value = new java.io.ByteArrayOutputStream();
        value.writeBytes(address);
        for (String name : names) {
            value.writeBytes(name.getBytes(StandardCharsets.UTF_8));
            value.write(0);
        }
        return block(4, concat(option(1, value.toByteArray()), option(0, new byte[0])));
    }

    /** A custom block (copyable, or not to be copied): enterprise number, then content as given. */
    public BlockBuilder custom(boolean copyable, int enterpriseNumber, byte[] content) {
        return block(copyable ? 0x00000bad : 0x40000bad, concat(buffer(4).putInt(enterpriseNumber).array(),
                padded(content)));
    }

    /** Any block: type, length, body, options (each already encoded by {@link #option}), end of options, length. */
    public BlockBuilder block(int type, byte[] body, byte[]... options) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(body);
        for (byte[] option : options) {
            all.writeBytes(option);
        }
        if (options.length > 0) {
            all.writeBytes(option(0, new byte[0]));
        }
        int length = 12 + all.size();
        raw(buffer(8).putInt(type).putInt(length).array());
        raw(all.toByteArray());
        return raw(buffer(4).putInt(length).array());
    }

    public byte[] option(int code, byte[] value) {
        return concat(buffer(4).putShort((short) code).putShort((short) value.length).array(), padded(value));
    }

    public byte[] option(int code, String value) {
        return option(code, value.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] intOption(int code, int value) {
        return option(code, buffer(4).putInt(value).array());
    }

    /** A time option (isb_starttime, isb_endtime): high then low 32 bits, as in a packet block. */
    public byte[] timeOption(int code, long units) {
        return option(code, buffer(8).putInt((int) (units >>> 32)).putInt((int) units).array());
    }

    public byte[] longOption(int code, long value) {
        return option(code, buffer(8).putLong(value).array());
    }

    private ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(order);
    }

    private static byte[] padded(byte[] data) {
        byte[] result = new byte[(data.length + 3) & ~3];
        System.arraycopy(data, 0, result, 0, data.length);
        return result;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return join(a, b);
    }

    /** The parts one after another. */
    public static byte[] join(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    /** 32-bit values in little-endian order, e.g. a block's fixed fields. */
    public static byte[] le(int... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            buffer.putInt(value);
        }
        return buffer.array();
    }
}
