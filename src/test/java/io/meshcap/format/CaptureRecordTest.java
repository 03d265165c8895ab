package io.meshcap.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The copies a stage makes of a record, an interface or statistics: each changes one thing and keeps the rest. */
class CaptureRecordTest {

    private static final RawOptions COMMENTED = RawOptions.NONE.plus(RawOptions.COMMENT, "captured");
    private static final CaptureRecord RECORD = new CaptureRecord(2, 1_795_333_790_000_000_001L, 60,
            new byte[] {1, 2, 3}, COMMENTED);

    @Test
    void aRecordMovedOrRewrittenKeepsEverythingElse() {
        assertRecord(RECORD.withInterfaceId(5), 5, new byte[] {1, 2, 3}, List.of("captured"));
        assertRecord(RECORD.withData(new byte[] {9, 9}), 2, new byte[] {9, 9}, List.of("captured"));
        assertRecord(RECORD.plusComment("rewritten"), 2, new byte[] {1, 2, 3}, List.of("captured", "rewritten"));
        assertRecord(RECORD.plusOptions(RawOptions.NONE.plus(RawOptions.COMMENT, "joined")), 2, new byte[] {1, 2, 3},
                List.of("captured", "joined"));
        assertSame(RECORD, RECORD.plusOptions(RawOptions.NONE));
    }

    @Test
    void anInterfaceRelabelledAndStatisticsMovedKeepTheRest() {
        CaptureInterface captured = new CaptureInterface(LinkType.LINUX_SLL, 262_144, "eth0", "pod", COMMENTED);
        assertEquals(new CaptureInterface(LinkType.LINUX_SLL, 262_144, "leg", "where", COMMENTED),
                captured.relabelled("leg", "where"));
        assertEquals(new InterfaceStatistics(3, 7L, COMMENTED), new InterfaceStatistics(0, 7L, COMMENTED).withInterfaceId(3));
    }

    private static void assertRecord(CaptureRecord record, int interfaceId, byte[] data, List<String> comments) {
        assertEquals(interfaceId, record.interfaceId());
        assertEquals(1_795_333_790_000_000_001L, record.timestampNanos());
        assertEquals(60, record.originalLength());
        assertArrayEquals(data, record.data());
        assertEquals(comments, record.comments());
    }
}
