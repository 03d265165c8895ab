package io.meshcap.capture.local;

import io.meshcap.MeshcapException;
import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.CaptureSource;
import io.meshcap.capture.LegCapture;
import io.meshcap.capture.LegPlan;
import io.meshcap.format.ByteOutput;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.pcap.PcapWriter;
import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import com.sun.jna.Pointer;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;

/**
 * Captures legs in this JVM with libpcap (through pcap4j), no subprocess: the handle is opened on a thread that
 * has entered the target's network namespace (a packet socket stays bound to the namespace it was opened in),
 * then read on a capture thread of its own, a batch of packets per native call ({@link LibpcapDispatch}), and written
 * as a classic pcap stream into the leg's sink.
 */
public final class Pcap4jCaptureSource implements CaptureSource {

    /**
     * libpcap's buffer timeout: how long the kernel holds packets before handing over a ring block that is not full.
     * Not immediate mode: that gives every packet a slot of the snap length, so an 8 MiB ring held 128 packets on lo
     * and overflowed between two reads at 25 k packets/s; blocks pack packets by their size (docs/benchmarks.md).
     */
    private static final int READ_TIMEOUT_MILLIS = 100;
    /** How long the capture thread rests when no packet is waiting, before looking again (and at the stop flag). */
    private static final long IDLE_MILLIS = 5;
    /** How often the live drop count is refreshed from libpcap. */
    private static final long STATS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int WRITE_BUFFER = 1 << 20;
    /** Packets libpcap hands over per call at most: one ring block's worth on a busy interface. */
    private static final int BATCH = 4096;

    private final NetworkNamespace namespace;

    public Pcap4jCaptureSource(NetworkNamespace namespace) {
        this.namespace = namespace;
    }

    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
        PcapHandle handle;
        try (NamespaceThread inside = NamespaceThread.enter(namespace)) {
            handle = inside.call(() -> open(leg));
        }
        HandleLeg capture = new HandleLeg(leg, handle, sink);
        capture.thread.start();
        return capture;
    }

    private static PcapHandle open(LegPlan leg) {
        try {
            PcapHandle handle = new PcapHandle.Builder(leg.interfaceName())
                    .snaplen(leg.limits().effectiveSnapLength())
                    .bufferSize(CaptureLimits.KERNEL_BUFFER_KIB * 1024)
                    .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                    .timeoutMillis(READ_TIMEOUT_MILLIS)
                    .timestampPrecision(PcapHandle.TimestampPrecision.NANO)
                    .build();
            handle.setFilter(leg.filter(), BpfProgram.BpfCompileMode.OPTIMIZE);
            // On Linux the buffer timeout only starts once a packet has arrived, so a blocking read on a quiet
            // interface never returns and the leg could not be stopped: read without blocking instead.
            handle.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
            return handle;
        } catch (PcapNativeException | NotOpenException e) {
            throw MeshcapException.failure("leg " + leg.label() + ": libpcap cannot capture on " + leg.interfaceName()
                    + ": " + e.getMessage() + " (capturing needs root, or CAP_NET_RAW and CAP_NET_ADMIN)");
        }
    }

    /** Nothing to undo: each leg closes its own handle when it ends. */
    @Override
    public void close() {
    }

    private static final class HandleLeg implements LegCapture {

        private final LegPlan leg;
        private final PcapHandle handle;
        private final OutputStream sink;
        private final Thread thread;
        private volatile boolean stopRequested;
        private volatile LegOutcome outcome;
        private volatile long dropped = -1;

        HandleLeg(LegPlan leg, PcapHandle handle, OutputStream sink) {
            this.leg = leg;
            this.handle = handle;
            this.sink = sink;
            this.thread = new Thread(this::capture, "meshcap-pcap4j-" + leg.label());
            thread.setDaemon(true);
        }

        private void capture() {
            ByteOutput bytes = new ByteOutput(leg.label(), Channels.newChannel(sink), WRITE_BUFFER);
            PcapWriter writer = new PcapWriter(bytes);
            String failure = "";
            try {
                int id = writer.addInterface(new CaptureInterface(handle.getDlt().value(),
                        leg.limits().effectiveSnapLength(), leg.label(), null));
                PacketCopier copier = new PacketCopier(writer, id);
                Pointer pcap = LibpcapDispatch.pointerOf(handle);
                long limit = leg.limits().packetCount();
                long statsDue = 0;
                long drainedBy = 0;
                while (limit == 0 || copier.packets < limit) {
                    if (stopRequested && drainedBy == 0) {
                        // The packets before the stop may sit in a block the kernel hands over after the timeout.
                        drainedBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2L * READ_TIMEOUT_MILLIS);
                    }
                    // libpcap's counters are read on this thread only: the handle is not shared.
                    if (System.nanoTime() - statsDue >= 0) {
                        dropped = handle.getStats().getNumPacketsDropped();
                        statsDue = System.nanoTime() + STATS_INTERVAL_NANOS;
                    }
                    int wanted = limit == 0 ? BATCH : (int) Math.min(BATCH, limit - copier.packets);
                    int got = LibpcapDispatch.pcap_dispatch(pcap, wanted, copier, null);
                    copier.rethrow();
                    if (got < 0) {
                        throw new PcapNativeException(handle.getError());
                    }
                    if (drainedBy != 0 && System.nanoTime() - drainedBy >= 0) {
                        break;
                    }
                    if (got == 0) {
                        bytes.flush();
                        Thread.sleep(IDLE_MILLIS);
                    }
                }
                dropped = handle.getStats().getNumPacketsDropped();
            } catch (PcapNativeException | NotOpenException | RuntimeException e) {
                failure = "leg " + leg.label() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                handle.close();
                writer.close();
                outcome = new LegOutcome(failure.isEmpty() ? 0 : 1, dropped, failure);
            }
        }

        @Override
        public void stop() {
            stopRequested = true;
        }

        @Override
        public OptionalLong droppedSoFar() {
            long now = dropped;
            return now < 0 ? OptionalLong.empty() : OptionalLong.of(now);
        }

        @Override
        public LegOutcome await(Duration timeout) throws InterruptedException {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeout.toNanos())));
            return thread.isAlive() ? null : outcome;
        }
    }
}
