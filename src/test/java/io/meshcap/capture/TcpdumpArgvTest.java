package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TcpdumpArgvTest {

    private static LegPlan leg(String filter, CaptureLimits limits) {
        return new LegPlan("default/reviews-v1-abc", "lo", "outbound-plain", filter, true, limits, Map.of());
    }

    @Test
    void wholePacketsNoCount() {
        assertEquals(List.of("tcpdump", "--immediate-mode", "-U", "-n", "-B", "8192", "-w", "-", "-i", "lo", "-s", "262144", "dst port 15001"),
                TcpdumpArgv.of(leg("dst port 15001", CaptureLimits.none())));
    }

    @Test
    void snapLengthAndCount() {
        CaptureLimits limits = new CaptureLimits(Duration.ofSeconds(5), 100, 0, 128);
        assertEquals(List.of("tcpdump", "--immediate-mode", "-U", "-n", "-B", "8192", "-w", "-", "-i", "lo", "-s", "128", "-c", "100", "tcp"),
                TcpdumpArgv.of(leg("tcp", limits)));
    }

    @Test
    void hostileFilterStaysOneArgument() {
        String hostile = "tcp; rm -rf / $(reboot) `id` && echo";
        List<String> argv = TcpdumpArgv.of(leg(hostile, CaptureLimits.none()));
        assertEquals(hostile, argv.get(argv.size() - 1));
        assertEquals(13, argv.size());
    }

    @Test
    void keepingRootAsksTcpdumpToStayRootAndChangesNothingElse() {
        assertEquals(List.of("tcpdump", "-Z", "root", "--immediate-mode", "-U", "-n", "-B", "8192", "-w", "-", "-i", "lo",
                "-s", "262144", "dst port 15001"), TcpdumpArgv.keepingRoot(leg("dst port 15001", CaptureLimits.none())));
    }

    @Test
    void labelIsPodNameAndInterface() {
        assertEquals("reviews-v1-abc/lo:outbound-plain", leg("tcp", CaptureLimits.none()).label());
    }
}
