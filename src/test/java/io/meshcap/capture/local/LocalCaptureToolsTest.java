package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.jna.Function;
import com.sun.jna.Platform;
import io.meshcap.MeshcapException;
import io.meshcap.sys.Libc;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The tools a capture on this machine runs, named before anything starts, and the root it needs. */
class LocalCaptureToolsTest {

    /** setresuid's system call number per JVM architecture (asm/unistd_64.h, asm-generic/unistd.h). */
    private static final Map<String, Long> SETRESUID = Map.of("amd64", 117L, "aarch64", 147L);
    private static final int NOBODY = 65534;
    private static final int UNCHANGED = -1;

    @Test
    void discoveryNeedsNsenterIpAndSsAndTheTcpdumpEngineAlsoTcpdump() {
        assertEquals(List.of("nsenter", "ip", "ss", "tcpdump"), LocalCaptureTools.needed(true));
        assertEquals(List.of("nsenter", "ip", "ss"), LocalCaptureTools.needed(false));
    }

    @Test
    void aCaptureByAnotherUserThanRootIsRefusedSayingWhatToDo() throws Exception {
        Throwable refused = asNobody(() -> LocalCaptureTools.require("a capture on this machine", true));
        assertInstanceOf(MeshcapException.class, refused);
        assertEquals("a capture on this machine needs root (it enters the network namespace): run as root or with"
                + " sudo", refused.getMessage());
        assertEquals(0, Libc.C.geteuid(), "the test's own thread is still root");
        assertNull(thrownBy(() -> LocalCaptureTools.require("a capture on this machine", true)),
                "root with every tool installed goes on");
    }

    private static Throwable thrownBy(Runnable check) {
        try {
            check.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /**
     * Runs {@code check} on a thread of its own whose effective user is nobody (65534), set by the raw setresuid
     * system call: Linux keeps credentials per thread, and only glibc's wrapper changes every thread of the process,
     * so the rest of the JVM stays root. The thread keeps root as its real and saved user, and ends with the check.
     */
    private static Throwable asNobody(Runnable check) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            Long number = SETRESUID.get(System.getProperty("os.arch"));
            if (number == null) {
                thrown.set(new AssertionError("no setresuid number for " + System.getProperty("os.arch")));
                return;
            }
            Function.getFunction(Platform.C_LIBRARY_NAME, "syscall", Function.THROW_LAST_ERROR)
                    .invokeInt(new Object[] {number, UNCHANGED, NOBODY, UNCHANGED});
            if (Libc.C.geteuid() != NOBODY) {
                thrown.set(new AssertionError("the thread is still user " + Libc.C.geteuid()));
                return;
            }
            thrown.set(thrownBy(check));
        }, "test-as-nobody");
        thread.start();
        thread.join();
        return thrown.get();
    }
}
