package io.meshcap.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumsTest {

    @Test
    void theRfc1071ExampleSumsAsPublished() {
        byte[] data = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        // RFC 1071 4.1: the sum folds to 0xddf2, so the checksum is its complement.
        assertEquals(~0xddf2 & 0xffff, Checksums.finish(Checksums.sum(data, 0, data.length)));
    }

    @Test
    void anOddLastByteIsPaddedOnTheRight() {
        assertEquals(0xab00, Checksums.sum(new byte[] {(byte) 0xab}, 0, 1));
    }

    @Test
    void eightBytesAtATimeFoldsLikeTwoBytesAtATimeForAnyLengthAndStart() {
        Random random = new Random(7);
        for (int length = 0; length < 80; length++) {
            byte[] data = new byte[length + 3];
            random.nextBytes(data);
            for (int from = 0; from < 3; from++) {
                long pairs = 0;
                for (int i = from; i < from + length; i += 2) {
                    pairs += (data[i] & 0xff) << 8 | (i + 1 < from + length ? data[i + 1] & 0xff : 0);
                }
                assertEquals(Checksums.finish(pairs), Checksums.finish(Checksums.sum(data, from, length)),
                        "length " + length + " from " + from);
            }
        }
    }

    @Test
    void theIncrementalUpdateAgreesWithAFullRecomputation() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            byte[] packet = new byte[2 + 2 * random.nextInt(40) + 18];
            random.nextBytes(packet);
            int at = 2 * random.nextInt((packet.length - 6) / 2);
            int before = Checksums.finish(Checksums.sum(packet, 0, packet.length));
            byte[] oldField = java.util.Arrays.copyOfRange(packet, at, at + 6);
            byte[] newField = new byte[6];
            random.nextBytes(newField);
            System.arraycopy(newField, 0, packet, at, 6);
            int full = Checksums.finish(Checksums.sum(packet, 0, packet.length));
            int incremental = Checksums.incremental(before, oldField, newField);
            // 0x0000 and 0xffff are the same number in ones' complement.
            assertEquals(full % 0xffff, incremental % 0xffff, "round " + round);
        }
    }

    @Test
    void incrementalUpdatesNeedEqualEvenFields() {
        assertThrows(IllegalArgumentException.class, () -> Checksums.incremental(0, new byte[2], new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> Checksums.incremental(0, new byte[3], new byte[3]));
    }
}
