package io.meshcap.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.sys.Libc;
import io.meshcap.testing.Tshark;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code -o} may name, each refusal in the words a user reads, and whether the reader of a named pipe it names
 * has gone: on real files, links, sockets and pipes in the test's own directory.
 */
class OutputTargetTest {

    @TempDir
    Path dir;

    private static MeshcapException refused(Runnable check) {
        return assertThrows(MeshcapException.class, check::run);
    }

    @Test
    void anOutputThatIsOneOfTheInputsIsRefusedByNameOrThroughALink() throws Exception {
        Path capture = Files.writeString(dir.resolve("in.pcapng"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("same.pcapng"), capture);
        Path other = Files.writeString(dir.resolve("other.pcapng"), "y");

        assertEquals("-o " + capture + " is also an input; choose another output file",
                refused(() -> OutputTarget.of(capture.toString()).refuseInputs(List.of(other, capture))).getMessage());
        assertEquals("-o " + link + " is also an input; choose another output file",
                refused(() -> OutputTarget.of(link.toString()).refuseInputs(List.of(capture))).getMessage());
        OutputTarget.of(capture.toString()).refuseInputs(List.of(other, dir.resolve("not-there.pcap")));
        OutputTarget.of(dir.resolve("new.pcapng").toString()).refuseInputs(List.of(capture));
        OutputTarget.of("-").refuseInputs(List.of(capture));
    }

    @Test
    void aSocketADanglingLinkAndAnEmptyNameAreRefusedSayingWhatToName() throws Exception {
        Path socket = dir.resolve("control.sock");
        try (ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listening.bind(UnixDomainSocketAddress.of(socket));
            assertEquals("-o " + socket + " is neither a file, a character device nor a named pipe; name a file",
                    refused(() -> OutputTarget.of(socket.toString())).getMessage());
        }
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.pcapng"), dir.resolve("nowhere.pcapng"));
        assertEquals("-o " + dangling + " is a symbolic link to a file that does not exist; name the file itself",
                refused(() -> OutputTarget.of(dangling.toString())).getMessage());
        assertEquals("-o needs a file name, not an empty string", refused(() -> OutputTarget.of(" ")).getMessage());
        assertEquals(2, refused(() -> OutputTarget.of(" ")).exitCode(), "a usage error");
    }

    @Test
    void whereEachKindOfOutputKeepsItsScratchFilesAndHowItIsNamed() throws Exception {
        Path file = dir.resolve("capture.pcapng");
        OutputTarget toFile = OutputTarget.of(file.toString());
        assertEquals(dir.toRealPath(), toFile.scratchDirectory().toRealPath());
        assertEquals(file, toFile.file());
        assertEquals("capture.pcapng", toFile.baseName());

        OutputTarget toDevice = OutputTarget.of("/dev/null");
        assertEquals(Path.of("").toAbsolutePath(), toDevice.scratchDirectory(), "the current directory");
        assertEquals(Path.of("/dev/null"), toDevice.file());
        assertEquals("null", toDevice.baseName());

        OutputTarget toStdout = OutputTarget.of("-");
        assertEquals(Path.of(System.getProperty("java.io.tmpdir")), toStdout.scratchDirectory());
        assertNull(toStdout.file());
        assertEquals("stdout", toStdout.baseName());
        assertEquals("stdout", toStdout.toString());
    }

    @Test
    void onlyANamedPipeWithoutAReaderHasLostItsReader() throws Exception {
        Path fifo = dir.resolve("wireshark.fifo");
        Tshark.run("mkfifo", fifo.toString());
        OutputTarget pipe = OutputTarget.of(fifo.toString());
        assertEquals(Path.of("").toAbsolutePath(), pipe.scratchDirectory(), "the current directory, as a device's");
        assertTrue(pipe.readerGone(), "nobody reads the pipe");
        int reader = Libc.C.open(fifo.toString(), Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try {
            assertFalse(pipe.readerGone(), "a reader has it open");
        } finally {
            Libc.C.close(reader);
        }
        assertFalse(OutputTarget.of("/dev/null").readerGone(), "a device has no reader to lose");
        assertFalse(OutputTarget.of(dir.resolve("capture.pcapng").toString()).readerGone(), "nor has a file");
    }
}
