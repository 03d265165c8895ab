package io.meshcap.lab;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The stand-in Envoy. Runs as the proxy uid in the pod namespace, accepts what Istio's rules redirect to the
 * outbound and inbound capture ports, recovers each connection's original destination with SO_ORIGINAL_DST and
 * connects there: binding 127.0.0.6 (::6) first for inbound, as Envoy does, and plainly for outbound, where the
 * proxy uid's own connection is exempt from redirection. Bytes are relayed both ways, and a half-close on one side
 * becomes a half-close on the other.
 *
 * <p>All socket work goes through libc (JNA) because java.net offers no way to read SO_ORIGINAL_DST; keeping the
 * descriptors native end to end avoids reaching into JDK internals for them.
 *
 * <p>Usage: {@code SidecarMain OUTBOUND_PORT INBOUND_PORT FAMILY[,FAMILY]} with families {@code ipv4}/{@code ipv6}.
 * Prints {@value ServerMain#READY} once it listens, and one line per connection.
 */
public final class SidecarMain {

    private static final int BUFFER_SIZE = 16 * 1024;

    private SidecarMain() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: SidecarMain OUTBOUND_PORT INBOUND_PORT FAMILY[,FAMILY]");
            System.exit(2);
        }
        int outboundPort = Integer.parseInt(args[0]);
        int inboundPort = Integer.parseInt(args[1]);
        List<Runnable> loops = new ArrayList<>();
        for (String family : args[2].split(",")) {
            IpFamily ipFamily = IpFamily.valueOf(family.toUpperCase());
            boolean ipv6 = ipFamily == IpFamily.IPV6;
            NativeSocket outbound = NativeSocket.listen(ipv6, outboundPort);
            NativeSocket inbound = NativeSocket.listen(ipv6, inboundPort);
            loops.add(() -> acceptLoop(outbound, null));
            loops.add(() -> acceptLoop(inbound, new InetSocketAddress(ipFamily.inboundBind(), 0)));
        }
        for (Runnable loop : loops) {
            new Thread(loop, "sidecar-accept").start();
        }
        System.out.println(ServerMain.READY);
    }

    /** Accepts forever; {@code bindAddress} is the local address for the forwarded leg, null for outbound. */
    private static void acceptLoop(NativeSocket listener, InetSocketAddress bindAddress) {
        while (true) {
            NativeSocket downstream = listener.accept();
            Thread thread = new Thread(() -> forward(downstream, bindAddress), "sidecar-conn");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static void forward(NativeSocket downstream, InetSocketAddress bindAddress) {
        String leg = bindAddress == null ? "outbound" : "inbound";
        InetSocketAddress original;
        try {
            original = downstream.originalDestination();
        } catch (LastErrorException e) {
            System.out.println(leg + ": no original destination (" + e.getMessage() + "), closing");
            downstream.close();
            return;
        }
        NativeSocket upstream = NativeSocket.open(!SockAddr.isIpv4(original.getAddress()));
        try {
            if (bindAddress != null) {
                upstream.bind(bindAddress);
            }
            upstream.connect(original);
        } catch (LastErrorException e) {
            System.out.println(leg + ": connecting to " + Endpoint.of(original) + " failed: " + e.getMessage());
            upstream.close();
            downstream.close();
            return;
        }
        System.out.println(leg + " original=" + Endpoint.of(original) + " upstream-local="
                + Endpoint.of(upstream.localAddress()));
        Thread reverse = new Thread(() -> pump(upstream, downstream), "sidecar-pump");
        reverse.setDaemon(true);
        reverse.start();
        pump(downstream, upstream);
        try {
            reverse.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            upstream.close();
            downstream.close();
        }
    }

    /** Copies one direction until end-of-stream, then half-closes the destination; on an error ends both. */
    private static void pump(NativeSocket from, NativeSocket to) {
        try (Memory buffer = new Memory(BUFFER_SIZE)) {
            while (true) {
                int count = from.read(buffer, BUFFER_SIZE);
                if (count == 0) {
                    to.shutdownOutput();
                    return;
                }
                to.writeFully(buffer, count);
            }
        } catch (LastErrorException e) {
            from.abort();
            to.abort();
        }
    }
}
