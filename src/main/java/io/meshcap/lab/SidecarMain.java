package io.meshcap.lab;

import com.sun.jna.LastErrorException;
import io.meshcap.lab.mtls.MeshTls;
import io.meshcap.lab.mtls.TlsConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The stand-in Envoy. Runs as the proxy uid in the pod namespace, accepts what Istio's rules redirect to the
 * outbound and inbound capture ports, recovers each connection's original destination with SO_ORIGINAL_DST and
 * connects there, as Envoy does: outbound, plaintext from the app becomes mTLS to the upstream (Istio's SNI and
 * ALPN, the pod's certificate); inbound, the mesh client's mTLS is terminated and forwarded in plaintext from
 * 127.0.0.6 (::6) to the app. Every connection's TLS secrets go to the lab's key log, as Envoy's {@code key_log}
 * writes them. Bytes are relayed unchanged both ways, so the endpoints' ledger stays exact.
 *
 * <p>All socket work goes through libc (JNA) because java.net offers no way to read SO_ORIGINAL_DST; keeping the
 * descriptors native end to end avoids reaching into JDK internals for them.
 *
 * <p>Usage: {@code SidecarMain OUTBOUND_PORT INBOUND_PORT FAMILY[,FAMILY] TLS_DIRECTORY KEY_LOG} with families
 * {@code ipv4}/{@code ipv6}. Prints {@value ServerMain#READY} once it listens, and one line per connection.
 */
public final class SidecarMain {

    private static final int ARGS = 5;
    private static final int BUFFER_SIZE = 16 * 1024;

    private final MeshTls tls;

    private SidecarMain(MeshTls tls) {
        this.tls = tls;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != ARGS) {
            System.err.println("usage: SidecarMain OUTBOUND_PORT INBOUND_PORT FAMILY[,FAMILY] TLS_DIRECTORY KEY_LOG");
            System.exit(2);
        }
        int outboundPort = Integer.parseInt(args[0]);
        int inboundPort = Integer.parseInt(args[1]);
        SidecarMain sidecar = new SidecarMain(
                MeshTls.load(Path.of(args[3]), LabTopology.POD_IDENTITY, Path.of(args[4])));
        List<Runnable> loops = new ArrayList<>();
        for (String family : args[2].split(",")) {
            IpFamily ipFamily = IpFamily.valueOf(family.toUpperCase());
            boolean ipv6 = ipFamily == IpFamily.IPV6;
            NativeSocket outbound = NativeSocket.listen(ipv6, outboundPort);
            NativeSocket inbound = NativeSocket.listen(ipv6, inboundPort);
            loops.add(() -> sidecar.acceptLoop(outbound, null));
            loops.add(() -> sidecar.acceptLoop(inbound, new InetSocketAddress(ipFamily.inboundBind(), 0)));
        }
        for (Runnable loop : loops) {
            new Thread(loop, "sidecar-accept").start();
        }
        System.out.println(ServerMain.READY);
    }

    /** Accepts forever; {@code bindAddress} is the local address for the forwarded leg, null for outbound. */
    private void acceptLoop(NativeSocket listener, InetSocketAddress bindAddress) {
        while (true) {
            try {
                NativeSocket downstream = listener.accept();
                Thread thread = new Thread(() -> forward(downstream, bindAddress), "sidecar-conn");
                thread.setDaemon(true);
                thread.start();
            } catch (LastErrorException e) {
                // Out of descriptors or an aborted handshake: this connection is lost, the listener is not.
                System.out.println("accept failed: " + e.getMessage());
            }
        }
    }

    /** One end of a relayed connection: its streams, and how to tell it no more bytes will come. */
    private record Side(InputStream in, OutputStream out, EndOfOutput endOutput) {
    }

    /** A FIN on a plain socket, close_notify on TLS (which cannot half-close), or nothing. */
    @FunctionalInterface
    private interface EndOfOutput {
        void send() throws IOException;
    }

    private void forward(NativeSocket downstream, InetSocketAddress bindAddress) {
        boolean inbound = bindAddress != null;
        String leg = inbound ? "inbound" : "outbound";
        NativeSocket upstream = null;
        TlsConnection secure = null;
        try {
            InetSocketAddress original = downstream.originalDestination();
            PushbackInputStream fromDownstream = new PushbackInputStream(downstream.inputStream());
            // As Envoy, the mesh client's handshake completes before the app is connected. PERMISSIVE, Istio's
            // default: a client without a sidecar (no TLS handshake) is forwarded in plaintext.
            if (inbound && MeshTls.startsHandshake(fromDownstream)) {
                secure = tls.accept(fromDownstream, downstream.outputStream());
            }
            upstream = NativeSocket.open(!SockAddr.isIpv4(original.getAddress()));
            if (inbound) {
                upstream.bind(bindAddress);
            }
            upstream.connect(original);
            if (!inbound) {
                secure = tls.connect(upstream.inputStream(), upstream.outputStream(),
                        MeshTls.istioSni(original.getPort(), LabTopology.MESH_SERVICE));
            }
            System.out.println(leg + " original=" + Endpoint.of(original) + " upstream-local="
                    + Endpoint.of(upstream.localAddress()) + (secure == null ? " plaintext"
                            : " peer=" + secure.peer() + " alpn=" + secure.applicationProtocol()));
            Side caller = inbound ? clientSide(secure, fromDownstream, downstream) : plainSide(fromDownstream, downstream);
            Side callee = inbound ? plainSide(upstream.inputStream(), upstream) : upstreamSide(secure);
            relay(caller, callee, downstream, upstream);
        } catch (IOException | LastErrorException e) {
            // Like Envoy, the downstream connection is closed when the other side cannot be reached or handshaken.
            System.out.println(leg + ": " + e.getMessage() + ", closing");
        } finally {
            closeQuietly(secure);
            if (upstream != null) {
                upstream.finish();
                upstream.close();
            }
            downstream.finish();
            downstream.close();
        }
    }

    /** The side that called: over mTLS (told the answer is complete by close_notify, TLS cannot half-close) or plain. */
    private static Side clientSide(TlsConnection secure, InputStream plainIn, NativeSocket socket) {
        return secure == null ? plainSide(plainIn, socket) : new Side(secure.input(), secure.output(), secure::close);
    }

    /** The upstream over mTLS: the request is framed by its length, so it needs no half-close from the app. */
    private static Side upstreamSide(TlsConnection secure) {
        return new Side(secure.input(), secure.output(), () -> { });
    }

    private static Side plainSide(InputStream in, NativeSocket socket) {
        return new Side(in, socket.outputStream(), socket::shutdownOutput);
    }

    /**
     * Copies both ways until both directions ended. When one direction ends, the side it was going to is told so
     * (a FIN, or close_notify); on an error both sockets are shut down, which ends the other direction too.
     */
    private static void relay(Side client, Side server, NativeSocket clientSocket, NativeSocket serverSocket) {
        Thread answers = new Thread(() -> pump(server.in(), client, clientSocket, serverSocket), "sidecar-pump");
        answers.setDaemon(true);
        answers.start();
        pump(client.in(), server, clientSocket, serverSocket);
        try {
            answers.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pump(InputStream from, Side to, NativeSocket one, NativeSocket other) {
        byte[] buffer = new byte[BUFFER_SIZE];
        try {
            for (int count = from.read(buffer); count >= 0; count = from.read(buffer)) {
                to.out().write(buffer, 0, count);
                to.out().flush();
            }
            to.endOutput().send();
        } catch (IOException | LastErrorException e) {
            one.abort();
            other.abort();
        }
    }

    private static void closeQuietly(TlsConnection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (IOException e) {
            // Already closed by the peer or by the relay: nothing is left to send.
        }
    }
}
