package io.meshcap.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.BlockBuilder;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a merge says about its inputs (the summary line per input) and about the capture as a whole (the section
 * header's hardware and OS), on hand-built inputs whose times and sizes are known; and the fan-in an open-file limit
 * leaves.
 */
class MergeSummaryTest {

    /** 2026-11-22T07:49:50Z, as tshark shows 1795333790. */
    private static final long T0_MICROS = 1_795_333_790_000_000L;

    @TempDir
    Path dir;

    private Path input(String name, String hardware, String os, int... sizes) throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> options = new java.util.ArrayList<>();
        if (hardware != null) {
            options.add(b.option(2, hardware));
        }
        if (os != null) {
            options.add(b.option(3, os));
        }
        b.shb(options.toArray(byte[][]::new)).idb(LinkType.RAW, 0);
        for (int i = 0; i < sizes.length; i++) {
            b.epb(0, T0_MICROS + 1 + 10L * i, sizes[i] + 100, new byte[sizes[i]]);
        }
        return Files.write(dir.resolve(name), b.toByteArray());
    }

    private List<InputSummary> merge(List<MergeInput> inputs, Path out) {
        try (CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            return new Merger(dir, 64).merge(inputs, writer, RecordTransform.NONE);
        }
    }

    @Test
    void eachInputIsSummarisedWithItsPacketsBytesAndFirstAndLastTimes() throws IOException {
        Path three = input("three.pcapng", null, null, 20, 30, 10);
        Path one = input("one.pcapng", null, null, 44);
        Path none = input("none.pcapng", null, null);
        List<InputSummary> summaries = merge(List.of(new MergeInput(three, "reviews/lo", null), MergeInput.of(one),
                MergeInput.of(none)), dir.resolve("out.pcapng"));

        assertEquals("reviews/lo (" + three + ", pcapng): 3 packets, 60 bytes, 2026-11-22T07:49:50.000001000Z to"
                + " 2026-11-22T07:49:50.000021000Z", summaries.get(0).describe());
        assertEquals(one + " (pcapng): 1 packet, 44 bytes, 2026-11-22T07:49:50.000001000Z to"
                + " 2026-11-22T07:49:50.000001000Z", summaries.get(1).describe());
        assertEquals(none + " (pcapng): 0 packets, 0 bytes", summaries.get(2).describe());
        assertEquals(Optional.empty(), summaries.get(0).truncation());
        assertEquals(Optional.empty(), summaries.get(0).skipped());
        assertEquals(4, Tshark.capinfosCount(dir.resolve("out.pcapng")));
    }

    @Test
    void theOutputNamesTheCapturingHardwareAndOsWhenEveryInputThatNamesThemAgrees() throws IOException {
        Path a = input("a.pcapng", "rig-7", "Linux 6.1", 20);
        Path b = input("b.pcapng", "rig-7", null, 20);
        Path c = input("c.pcapng", null, "Linux 6.1", 20);
        Path agreed = dir.resolve("agreed.pcapng");
        merge(List.of(MergeInput.of(a), MergeInput.of(b), MergeInput.of(c)), agreed);
        String info = Tshark.run("capinfos", agreed.toString());
        assertTrue(info.contains("Capture hardware:    rig-7"), info);
        assertTrue(info.contains("Capture oper-sys:    Linux 6.1"), info);
        assertTrue(info.contains("Capture application: meshcap test"), info);

        Path other = input("other.pcapng", "rig-8", "Linux 6.6", 20);
        Path mixed = dir.resolve("mixed.pcapng");
        merge(List.of(MergeInput.of(a), MergeInput.of(other)), mixed);
        String mixedInfo = Tshark.run("capinfos", mixed.toString());
        assertFalse(mixedInfo.contains("Capture hardware:"), mixedInfo);
        assertFalse(mixedInfo.contains("Capture oper-sys:"), mixedInfo);
    }

    /** The limit less what is open less the 16 kept free, between 2 and 1024 inputs at once. */
    @Test
    void theFanInIsWhatTheOpenFileLimitLeavesWithinTwoAndOneThousandAndTwentyFour() {
        assertEquals(36, Merger.fanIn(64, 12));
        assertEquals(2, Merger.fanIn(30, 12));
        assertEquals(2, Merger.fanIn(29, 12));
        assertEquals(1024, Merger.fanIn(1_048_576, 12));
        assertEquals(1024, Merger.fanIn(1052, 12));
        assertEquals(1023, Merger.fanIn(1051, 12));
        assertTrue(Merger.fanInFromDescriptorLimit() >= 2);
    }
}
