package io.meshcap.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Port ranges and single ports at the edges of what TCP and UDP allow. */
class PortRangeTest {

    @Test
    void theWholePortSpaceAndARangeOfOneAreRanges() {
        assertEquals("1-65535", new PortRange(1, 65535).toString());
        assertEquals("8080-8080", new PortRange(8080, 8080).toString());
        assertEquals(new PortRange(1024, 2048), PortRange.parse("1024\t2048"));
    }

    @ParameterizedTest
    @CsvSource({"0, 10", "10, 65536", "11, 10"})
    void outsideThePortSpaceOrUpsideDownIsAUsageError(int low, int high) {
        MeshcapException error = assertThrows(MeshcapException.class, () -> new PortRange(low, high));
        assertEquals(MeshcapException.Kind.USAGE, error.kind());
        assertEquals("port range " + low + "-" + high + " is not within 1-65535 with low <= high", error.getMessage());
    }

    @Test
    void bothEndsAreInside() {
        PortRange range = new PortRange(32768, 60999);
        assertTrue(range.contains(32768));
        assertTrue(range.contains(60999));
        assertFalse(range.contains(32767));
        assertFalse(range.contains(61000));
    }

    @Test
    void aSinglePortIsCheckedAgainstTheFlagThatGaveIt() {
        assertEquals(1, PortRange.port(1, "--outbound-port"));
        assertEquals(65535, PortRange.port(65535, "--outbound-port"));
        assertEquals("--outbound-port: port 0 is not within 1-65535",
                assertThrows(MeshcapException.class, () -> PortRange.port(0, "--outbound-port")).getMessage());
        assertEquals("--port: port 65536 is not within 1-65535",
                assertThrows(MeshcapException.class, () -> PortRange.port(65536, "--port")).getMessage());
    }
}
