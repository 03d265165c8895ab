package io.meshcap.capture.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doNothing;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.ScratchNamespace;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNetworkInterface;

/**
 * What {@link PacketCopier} makes of the packets real libpcap hands {@link LibpcapDispatch#pcap_dispatch}, on a
 * scratch namespace's lo: three datagrams "c1..", "c2..", "c3.." of 14 + 20 + 8 + 4 = 46 bytes each, cut to a snap
 * length of 44 (their last two bytes). The writer is a Mockito double: it records what it is given, or fails the way a full disk makes it fail.
 */
class PacketCopierTest {

    private static final int PORT = 9998;
    private static final int SNAP_LENGTH = 44;
    private static final int ON_THE_WIRE = 46;
    private static final int INTERFACE_ID = 7;

    private ScratchNamespace namespace;
    private PcapHandle handle;
    private Instant beforeSending;

    @BeforeEach
    void openHandleOnLo() throws Exception {
        namespace = ScratchNamespace.create("mccopy", 65536);
        try (NamespaceThread inside = NamespaceThread.enter(NetworkNamespace.named(namespace.name()))) {
            handle = inside.call(() -> {
                PcapHandle opened = new PcapHandle.Builder("lo").snaplen(SNAP_LENGTH)
                        .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS).timeoutMillis(100)
                        .timestampPrecision(PcapHandle.TimestampPrecision.NANO).build();
                opened.setFilter("udp dst port " + PORT, BpfProgram.BpfCompileMode.OPTIMIZE);
                opened.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
                return opened;
            });
            beforeSending = Instant.now();
            inside.call(() -> {
                try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                    for (String payload : List.of("c1..", "c2..", "c3..")) {
                        byte[] bytes = payload.getBytes(StandardCharsets.US_ASCII);
                        socket.send(new DatagramPacket(bytes, bytes.length, socket.getLocalAddress(), PORT));
                    }
                }
                return null;
            });
        }
    }

    @AfterEach
    void close() {
        handle.close();
        namespace.close();
    }

    @Test
    void eachPacketIsWrittenWithItsTimeLengthsAndCapturedBytes() throws Exception {
        CaptureWriter writer = mock(CaptureWriter.class);
        PacketCopier copier = new PacketCopier(writer, INTERFACE_ID);

        assertEquals(3, dispatchAll(copier, 3));
        copier.rethrow();
        Instant handedOver = Instant.now();

        assertEquals(3, copier.packets);
        ArgumentCaptor<CaptureBlock> written = ArgumentCaptor.forClass(CaptureBlock.class);
        verify(writer, times(3)).write(written.capture());
        List<String> kept = List.of("6331", "6332", "6333");
        for (int i = 0; i < 3; i++) {
            CaptureRecord record = (CaptureRecord) written.getAllValues().get(i);
            assertEquals(INTERFACE_ID, record.interfaceId());
            assertEquals(ON_THE_WIRE, record.originalLength());
            assertEquals(SNAP_LENGTH, record.data().length);
            assertArrayEquals(HexFormat.of().parseHex("270e"), slice(record.data(), 14 + 20 + 2, 2), "to port 9998");
            assertEquals(kept.get(i), HexFormat.of().formatHex(slice(record.data(), SNAP_LENGTH - 2, 2)));
            long stamped = record.timestampNanos();
            assertTrue(stamped >= nanos(beforeSending) && stamped <= nanos(handedOver), "packet " + i + " stamped "
                    + stamped + ", not between " + nanos(beforeSending) + " and " + nanos(handedOver));
        }
    }

    @Test
    void aWriterFailureDropsTheRestOfTheBatchAndIsRaisedAfterIt() throws Exception {
        CaptureWriter writer = mock(CaptureWriter.class);
        IllegalStateException diskFull = new IllegalStateException("leg.pcap: write failed: No space left on device");
        doNothing().doThrow(diskFull).when(writer).write(any());
        PacketCopier copier = new PacketCopier(writer, INTERFACE_ID);

        assertEquals(3, dispatchAll(copier, 3), "libpcap still hands over the whole batch");

        assertEquals(1, copier.packets, "only the packet before the failure is counted");
        verify(writer, times(2)).write(any());
        assertSame(diskFull, assertThrows(IllegalStateException.class, copier::rethrow));
    }

    /** Dispatches until libpcap has handed over {@code count} packets (its block is handed over after 100 ms). */
    private int dispatchAll(PacketCopier copier, int count) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        int handed = 0;
        while (handed < count) {
            int got = LibpcapDispatch.pcap_dispatch(LibpcapDispatch.pointerOf(handle), -1, copier, null);
            assertTrue(got >= 0, "pcap_dispatch failed: " + handle.getError());
            handed += got;
            assertTrue(Instant.now().isBefore(deadline), "libpcap handed over " + handed + " of " + count);
            if (got == 0) {
                Thread.sleep(20);
            }
        }
        return handed;
    }

    private static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    private static byte[] slice(byte[] bytes, int from, int length) {
        byte[] part = new byte[length];
        System.arraycopy(bytes, from, part, 0, length);
        return part;
    }
}
