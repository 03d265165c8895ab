package io.meshcap.format;

import java.util.Arrays;

/**
 * A packet where it lies in a reader's buffer: the fast path for a stage that passes most packets on as they are
 * ({@code meshcap reassociate}). {@link CaptureReader#nextBlock(PacketView)} points the same view at each packet
 * instead of copying it into a {@link CaptureRecord} of its own; the stage may rewrite its bytes in place, move it to
 * another interface or add options; a writer copies it from there, so a packet costs one copy and no object.
 *
 * <p>Valid until the reader's next call. A stage that keeps a packet for later keeps {@link #toRecord()}.
 */
public final class PacketView implements CaptureBlock {

    private byte[] bytes = new byte[0];
    private int offset;
    private int capturedLength;
    private int originalLength;
    private int interfaceId;
    private long timestampNanos;
    private RawOptions options = RawOptions.NONE;

    /**
     * Points this view at a packet (readers do).
     *
     * @param bytes  what the packet lies in, from {@code offset} for {@code capturedLength} bytes
     */
    public PacketView set(int interfaceId, long timestampNanos, int originalLength, byte[] bytes, int offset,
                          int capturedLength, RawOptions options) {
        this.interfaceId = interfaceId;
        this.timestampNanos = timestampNanos;
        this.originalLength = originalLength;
        this.bytes = bytes;
        this.offset = offset;
        this.capturedLength = capturedLength;
        this.options = options;
        return this;
    }

    /** Points this view at a record's own bytes, so that one code path serves records and views. */
    public PacketView of(CaptureRecord record) {
        return set(record.interfaceId(), record.timestampNanos(), record.originalLength(), record.data(), 0,
                record.capturedLength(), record.options());
    }

    /** The packet as a record of its own: a copy of its bytes, kept after the reader moves on. */
    public CaptureRecord toRecord() {
        return new CaptureRecord(interfaceId, timestampNanos, originalLength,
                Arrays.copyOfRange(bytes, offset, offset + capturedLength), options);
    }

    /** {@code block} kept: a view's packet as a record of its own, any other block as it is. */
    public static CaptureBlock kept(CaptureBlock block) {
        return block instanceof PacketView view ? view.toRecord() : block;
    }

    /** What the packet lies in: shared, not copied; its bytes are {@link #offset()} to {@link #end()}. */
    public byte[] bytes() {
        return bytes;
    }

    public int offset() {
        return offset;
    }

    public int end() {
        return offset + capturedLength;
    }

    public int capturedLength() {
        return capturedLength;
    }

    public int originalLength() {
        return originalLength;
    }

    public int interfaceId() {
        return interfaceId;
    }

    public long timestampNanos() {
        return timestampNanos;
    }

    public RawOptions options() {
        return options;
    }

    /** Puts the packet on another interface, e.g. the output's id for the input's. */
    public void moveTo(int id) {
        interfaceId = id;
    }

    /** Adds options after those the packet has (a comment a stage encoded once is shared, not copied). */
    public void addOptions(RawOptions more) {
        options = options.plus(more);
    }
}
