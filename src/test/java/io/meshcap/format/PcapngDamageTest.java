package io.meshcap.format;

import static io.meshcap.format.BlockBuilder.le;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timestamps at every kind of if_tsresol and if_tsoffset, judged by tshark and by hand-computed literals, and the
 * message for each kind of damage a pcapng block can carry: the offset (counted by hand from the specification's
 * layouts: a 28-byte section header, a 20-byte interface block without options) and the cause, in the file's terms.
 */
class PcapngDamageTest {

    /** Where the block after an option-less section header starts, and the one after an option-less IDB. */
    private static final int AFTER_SHB = 28;
    private static final int AFTER_IDB = 48;
    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 1_795_333_790L;
    private static final String DAMAGED = " (the file is damaged; editcap can keep the packets before this offset)";

    @TempDir
    Path dir;

    private int files;

    private Path write(Consumer<BlockBuilder> blocks) throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb();
        blocks.accept(b);
        return Files.write(dir.resolve("f" + files++ + ".pcapng"), b.toByteArray());
    }

    /** The message reading the whole file fails with, less the file name. */
    private static String failure(Path file) {
        MeshcapException e = assertThrows(MeshcapException.class, () -> ReadBack.readAll(file));
        assertEquals(MeshcapException.Kind.FAILURE, e.kind());
        return e.getMessage().substring(file.toString().length());
    }

    /** One interface per resolution, each with one packet at the units given: their times as meshcap reads them. */
    private List<Long> times(Path file) {
        return ReadBack.readAll(file).stream().map(CaptureRecord::timestampNanos).toList();
    }

    private static byte[] tsresol(int value) {
        return new BlockBuilder(ByteOrder.LITTLE_ENDIAN).option(9, new byte[] {(byte) value});
    }

    private static byte[] tsoffset(long seconds) {
        return new BlockBuilder(ByteOrder.LITTLE_ENDIAN).longOption(14, seconds);
    }

    @Test
    void everyDecimalAndBinaryResolutionGivesTheTimeTsharkReads() throws IOException {
        Path file = write(b -> b
                .idb(LinkType.RAW, 0, tsresol(0)).epb(0, T0, 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(1)).epb(1, T0 * 10 + 1, 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(9)).epb(2, T0 * SECOND + 123_456_789, 20, ipv4())
                // Finer than nanoseconds: an unsigned count past 2^63, divided down (tenths of nanoseconds).
                .idb(LinkType.RAW, 0, tsresol(10)).epb(3, Long.parseUnsignedLong("17953337901234567890"), 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(0x80)).epb(4, T0, 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(0x81)).epb(5, (T0 << 1) + 1, 20, ipv4())
                // 2^-32 s: the finest computed in 64 bits; 2^-33 and finer exactly, in wider arithmetic.
                .idb(LinkType.RAW, 0, tsresol(0xa0)).epb(6, (T0 << 32) + (1L << 30), 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(0xa1), tsoffset(T0)).epb(7, 3L << 31, 20, ipv4()));
        ReadBack.assertSameAsTshark(file);
        assertEquals(List.of(T0 * SECOND, T0 * SECOND + 100_000_000, T0 * SECOND + 123_456_789,
                T0 * SECOND + 123_456_789, T0 * SECOND, T0 * SECOND + 500_000_000, T0 * SECOND + 250_000_000,
                T0 * SECOND + 750_000_000), times(file));
        // tshark 4.0 reads these wrongly (0.012776324 s for the first, 0 for the last): judged by the literals alone.
        // Picoseconds and 10^-19 s hold seconds only from an offset.
        Path fine = write(b -> b
                .idb(LinkType.RAW, 0, tsresol(12), tsoffset(T0)).epb(0, 123_456_789_000L, 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(19), tsoffset(T0)).epb(1, 5_000_000_000_000_000_000L, 20, ipv4())
                .idb(LinkType.RAW, 0, tsresol(0xbf), tsoffset(T0)).epb(2, 1L << 62, 20, ipv4()));
        assertEquals(List.of(T0 * SECOND + 123_456_789, T0 * SECOND + 500_000_000, T0 * SECOND + 500_000_000),
                times(fine));
    }

    @Test
    void resolutionsFinerThanA64BitCountAreDamage() throws IOException {
        // The IDB starts after the section header; its first option's value 16 + 4 bytes into it.
        assertEquals(": offset 48: if_tsresol 0x14 asks for time units finer than a 64-bit count can hold (at most"
                + " 10^-19 or 2^-63 seconds)" + DAMAGED, failure(write(b -> b.idb(LinkType.RAW, 0, tsresol(20)))));
        assertEquals(": offset 48: if_tsresol 0xc0 asks for time units finer than a 64-bit count can hold (at most"
                + " 10^-19 or 2^-63 seconds)" + DAMAGED, failure(write(b -> b.idb(LinkType.RAW, 0, tsresol(0xc0)))));
    }

    @Test
    void timesOutsideWhatNanosecondsSince1970HoldAreDamage() throws IOException {
        assertEquals(": offset 48: interface's if_tsoffset of 10000000000 seconds is beyond 1970 to 2262, the times"
                + " meshcap can hold" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0, tsoffset(10_000_000_000L)))));
        // An IDB with one 8-byte option is 36 bytes: the packet's timestamp 12 bytes into the block after it.
        assertEquals(": offset 76: timestamp 5 of interface 0 is outside 1970 to 2262, the times meshcap can hold"
                + DAMAGED, failure(write(b -> b.idb(LinkType.RAW, 0, tsoffset(-10)).epb(0, 5, 20, ipv4()))));
        assertEquals(": offset 60: timestamp 9223372036854775808 of interface 0 is outside 1970 to 2262, the times"
                + " meshcap can hold" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).epb(0, Long.MIN_VALUE, 20, ipv4()))));
        assertEquals(": offset 72: timestamp 9300000000000000000 of interface 0 is outside 1970 to 2262, the times"
                + " meshcap can hold" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0, tsresol(9)).epb(0, Long.parseUnsignedLong("9300000000000000000"), 20,
                        ipv4()))));
    }

    @Test
    void aDamagedSectionHeaderIsRefusedWhenTheFileIsOpened() throws IOException {
        byte[] header = new BlockBuilder(ByteOrder.LITTLE_ENDIAN).shb().toByteArray();
        Path magic = Files.write(dir.resolve("magic.pcapng"), patch(header, 8, 0x12345678));
        assertEquals(magic + ": offset 8: section header has byte-order magic 0x78563412, not 0x1a2b3c4d" + DAMAGED,
                assertThrows(MeshcapException.class, () -> CaptureFormats.open(magic)).getMessage());
        Path trailer = Files.write(dir.resolve("trailer.pcapng"), patch(header, 24, 99));
        assertEquals(trailer + ": offset 24: block ends with length 99 but started with 28" + DAMAGED,
                assertThrows(MeshcapException.class, () -> CaptureFormats.open(trailer)).getMessage());
        byte[] version2 = header.clone();
        version2[12] = 2;
        Path version = Files.write(dir.resolve("version.pcapng"), version2);
        assertEquals(version + ": offset 12: pcapng major version 2 is not supported (only 1.x)" + DAMAGED,
                assertThrows(MeshcapException.class, () -> CaptureFormats.open(version)).getMessage());
        for (int length : new int[] {8, 20, 27}) {
            Path cut = Files.write(dir.resolve("cut" + length + ".pcapng"), Arrays.copyOf(header, length));
            assertEquals(cut + ": offset 0: the pcapng section header is cut short (the file holds no complete block)",
                    assertThrows(MeshcapException.class, () -> CaptureFormats.open(cut)).getMessage());
        }
    }

    @Test
    void eachBlockTooShortForItsFixedFieldsIsNamed() throws IOException {
        assertEquals(": offset 32: interface description block of 12 bytes is too short" + DAMAGED,
                failure(write(b -> b.block(1, new byte[0]))));
        assertEquals(": offset 52: packet block of 16 bytes is too short" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).block(6, new byte[4]))));
        assertEquals(": offset 52: simple packet block of 12 bytes is too short" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).block(3, new byte[0]))));
        assertEquals(": offset 52: interface statistics block of 16 bytes is too short" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).block(5, new byte[4]))));
        assertEquals(": offset 32: decryption secrets block of 12 bytes is too short" + DAMAGED,
                failure(write(b -> b.block(10, new byte[0]))));
        assertEquals(": offset 32: custom block of 12 bytes is too short" + DAMAGED,
                failure(write(b -> b.block(0xbad, new byte[0]))));
        assertEquals(": offset 36: name resolution records run past the end of their block" + DAMAGED,
                failure(write(b -> b.block(4, new byte[0]))));
    }

    @Test
    void lengthsThatDisagreeWithTheirBlockAreNamed() throws IOException {
        assertEquals(": offset 68: packet claims 100 captured bytes in a block of 32" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).block(6, le(0, 0, 0, 100, 100)))));
        assertEquals(": offset 40: decryption secrets claim 50 bytes in a block of 20" + DAMAGED,
                failure(write(b -> b.block(10, le(0x544c534b, 50)))));
        // One word past the block's end: the trailer is not data.
        assertEquals(": offset 68: packet claims 4 captured bytes in a block of 32" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).block(6, le(0, 0, 0, 4, 4)))));
        assertEquals(": offset 40: decryption secrets claim 4 bytes in a block of 20" + DAMAGED,
                failure(write(b -> b.block(10, le(0x544c534b, 4)))));
        // An IDB whose only option claims 100 bytes: the option starts 16 bytes into the block.
        assertEquals(": offset 44: option 2 of 100 bytes runs past the end of its block" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0, new byte[] {2, 0, 100, 0}))));
        assertEquals(": offset 32: block length 22 is impossible (a multiple of 4 from 12 to 16777216 expected)"
                + DAMAGED, failure(write(b -> b.raw(le(1, 22, 0, 0, 0, 22)))));
        assertEquals(": offset 32: block length 16777220 is impossible (a multiple of 4 from 12 to 16777216 expected)"
                + DAMAGED, failure(write(b -> b.raw(le(1, 16_777_220)))));
        assertEquals(": offset 44: block ends with length 99 but started with 20" + DAMAGED,
                failure(write(b -> b.raw(patch(new BlockBuilder(ByteOrder.LITTLE_ENDIAN).idb(LinkType.RAW, 0)
                        .toByteArray(), 16, 99)))));
    }

    @Test
    void aBlockOnAnInterfaceItsSectionDoesNotDefineIsNamed() throws IOException {
        assertEquals(": offset 36: simple packet refers to interface 0, but its section defines 0" + DAMAGED,
                failure(write(b -> b.spb(20, ipv4()))));
        assertEquals(": offset 56: interface statistics block refers to interface 3, but its section defines 1"
                + DAMAGED, failure(write(b -> b.idb(LinkType.RAW, 0).isb(3, 0))));
        assertEquals(": offset 56: packet refers to interface 4294967295, but its section defines 1" + DAMAGED,
                failure(write(b -> b.idb(LinkType.RAW, 0).epb(-1, 0, 20, ipv4()))));
        // A second section numbers its interfaces from 0 again: its packet may not use the first section's.
        assertEquals(": offset " + (AFTER_IDB + 28 + 8) + ": packet refers to interface 0, but its section defines 0"
                + DAMAGED, failure(write(b -> b.idb(LinkType.RAW, 0).shb().epb(0, 0, 20, ipv4()))));
        assertEquals(AFTER_SHB + 20, AFTER_IDB);
    }

    private static byte[] patch(byte[] bytes, int at, int value) {
        byte[] patched = bytes.clone();
        ByteBuffer.wrap(patched).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return patched;
    }

    private static byte[] ipv4() {
        byte[] packet = new byte[20];
        packet[0] = 0x45;
        packet[3] = 20;
        packet[9] = 17;
        return packet;
    }
}
