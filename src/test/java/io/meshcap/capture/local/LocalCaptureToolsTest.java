package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The tools a capture on this machine runs, named before anything starts. */
class LocalCaptureToolsTest {

    @Test
    void discoveryNeedsNsenterIpAndSsAndTheTcpdumpEngineAlsoTcpdump() {
        assertEquals(List.of("nsenter", "ip", "ss", "tcpdump"), LocalCaptureTools.needed(true));
        assertEquals(List.of("nsenter", "ip", "ss"), LocalCaptureTools.needed(false));
    }
}
