package io.meshcap.testing;

import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import java.nio.file.Path;
import java.util.Random;

/** Captures of random Ethernet frames, one microsecond apart, for tests where only the bytes' identity matters. */
public final class RandomCapture {

    private static final long T0 = 1_795_333_790_000_000_000L;
    private static final int MIN_LENGTH = 60;
    private static final int LENGTH_SPREAD = 200;

    private RandomCapture() {
    }

    /** Writes {@code packets} random frames to {@code file}; the same seed gives the same file. */
    public static Path write(Path file, OutputFormat format, int packets, long seed) {
        Random random = new Random(seed);
        try (CaptureWriter writer = CaptureFormats.create(file, format, "test")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, null, null));
            for (int i = 0; i < packets; i++) {
                byte[] data = new byte[MIN_LENGTH + random.nextInt(LENGTH_SPREAD)];
                random.nextBytes(data);
                writer.write(new CaptureRecord(0, T0 + i * 1000L, data.length, data));
            }
        }
        return file;
    }
}
