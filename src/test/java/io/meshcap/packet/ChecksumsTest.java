package io.meshcap.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            long oldFields = Checksums.sum(packet, at, 6);
            byte[] newFields = new byte[6];
            random.nextBytes(newFields);
            System.arraycopy(newFields, 0, packet, at, 6);
            int full = Checksums.finish(Checksums.sum(packet, 0, packet.length));
            // Exactly, not merely as the same ones'-complement number: a checksum that was right stays right.
            assertEquals(full, Checksums.incremental(before, oldFields, Checksums.sum(newFields, 0, 6)),
                    "round " + round);
        }
    }

    @Test
    void theRfc1624ExampleGivesZeroNotMinusZero() {
        // RFC 1624 section 3: HC = 0xDD2F, a field m = 0x5555 becomes m' = 0x3285; equation 3 gives 0x0000.
        assertEquals(0x0000, Checksums.incremental(0xdd2f, 0x5555, 0x3285));
    }
}
