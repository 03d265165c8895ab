package io.meshcap.lab;

import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.MeshcapException;
import io.meshcap.istio.IstioDefaults;
import io.meshcap.lab.mtls.MeshTls;
import io.meshcap.lab.mtls.TlsConnection;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Drives HTTP calls ({@link LabHttp}) through a running lab and records what each endpoint saw. Inbound calls are
 * made from a thread inside the mesh namespace to POD_IP:port, in mTLS; outbound ones from a thread inside the pod
 * namespace (as root, so Istio's rules redirect them to the sidecar) to the upstream address, in plaintext. One call
 * and connection at a time, so captures of a run read in ledger order.
 */
final class TrafficGenerator {

    /** The addresses the app sees inbound calls come from when the sidecar forwards them. */
    private static final Set<String> ENVOY_INBOUND_SOURCES =
            Set.of(IstioDefaults.ENVOY_INBOUND_SOURCE_V4, IstioDefaults.ENVOY_INBOUND_SOURCE_V6);

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;
    private static final int MIN_PAYLOAD = 200;
    private static final int PAYLOAD_SPREAD = 3_000;
    /** Spreads payload sizes across connections so no two neighbours look alike in a capture. */
    private static final int SIZE_STRIDE = 997;

    private final LabTopology topology;
    private final String labName;
    private final RunDirectory run;
    private MeshTls meshTls;
    private boolean plaintextInbound;

    TrafficGenerator(LabConfig config, RunDirectory run) {
        this.topology = LabTopology.of(config);
        this.labName = config.name();
        this.run = run;
    }

    /**
     * Makes {@code inbound} and {@code outbound} connections per address family of the lab; the mesh's clients call
     * in mTLS, or with {@code plaintextInbound} in plaintext, as clients without a sidecar do.
     */
    Ledger run(int inbound, int outbound, boolean plaintextInbound) {
        this.plaintextInbound = plaintextInbound;
        List<LedgerEntry> entries = new ArrayList<>();
        try (NamespaceThread mesh = NamespaceThread.enter(NetworkNamespace.named(topology.meshNamespace()));
                NamespaceThread pod = NamespaceThread.enter(NetworkNamespace.named(topology.podNamespace()))) {
            for (IpFamily family : topology.families()) {
                for (int i = 0; i < inbound; i++) {
                    int port = port(i);
                    entries.add(connect(mesh, entries.size() + 1, LedgerEntry.Kind.INBOUND, family, port,
                            topology.podIp(family)));
                }
                for (int i = 0; i < outbound; i++) {
                    int port = port(i);
                    entries.add(connect(pod, entries.size() + 1, LedgerEntry.Kind.OUTBOUND, family, port,
                            topology.meshIp(family)));
                }
            }
        }
        return new Ledger(labName, topology.podIp(IpFamily.IPV4),
                topology.ipv6() ? topology.podIp(IpFamily.IPV6) : null, entries);
    }

    /** The request body of call {@code id}: a readable first line, then pseudo-random bytes seeded by the id. */
    static byte[] payload(int id, LedgerEntry.Kind kind) {
        byte[] head = ("meshcap-lab connection " + id + " " + kind.name().toLowerCase() + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] payload = Arrays.copyOf(head, head.length + MIN_PAYLOAD + (id * SIZE_STRIDE) % PAYLOAD_SPREAD);
        byte[] noise = new byte[payload.length - head.length];
        new Random(id).nextBytes(noise);
        System.arraycopy(noise, 0, payload, head.length, noise.length);
        return payload;
    }

    private int port(int index) {
        return topology.appPorts().get(index % topology.appPorts().size());
    }

    private LedgerEntry connect(NamespaceThread from, int id, LedgerEntry.Kind kind, IpFamily family,
            int port, String address) {
        try {
            InetSocketAddress destination = new InetSocketAddress(InetAddress.getByName(address), port);
            return from.call(() -> exchange(id, kind, family, destination));
        } catch (IOException e) {
            throw MeshcapException.failure(kind.name().toLowerCase() + " connection " + id + " to "
                    + new Endpoint(address, port) + " failed: " + e.getMessage()
                    + "; check the lab with: meshcap lab status --name " + labName, e);
        }
    }

    /**
     * One call. Inbound, the client in the mesh speaks mTLS itself (standing in for its own sidecar) with Istio's
     * SNI for the pod's service, unless asked for plaintext; outbound, the app speaks plaintext and its sidecar adds
     * the mTLS.
     */
    private LedgerEntry exchange(int id, LedgerEntry.Kind kind, IpFamily family, InetSocketAddress destination)
            throws IOException {
        boolean inbound = kind == LedgerEntry.Kind.INBOUND;
        String service = inbound ? LabTopology.POD_SERVICE : LabTopology.MESH_SERVICE;
        String requestId = UUID.randomUUID().toString();
        byte[] request = LabHttp.request("/lab/call/" + id, service + ":" + destination.getPort(), requestId,
                payload(id, kind));
        try (Socket socket = new Socket()) {
            socket.connect(destination, CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            Endpoint client = Endpoint.of(socket.getLocalAddress(), socket.getLocalPort());
            TlsConnection secure = inbound && !plaintextInbound ? meshTls().connect(socket.getInputStream(), socket.getOutputStream(),
                    MeshTls.istioSni(destination.getPort(), service)) : null;
            OutputStream out = secure != null ? secure.output() : socket.getOutputStream();
            InputStream in = secure != null ? secure.input() : socket.getInputStream();
            out.write(request);
            out.flush();
            LabHttp.Message response = LabHttp.read(new BufferedInputStream(in));
            if (secure != null) {
                secure.close();
            }
            CallEnd.finish(socket);
            ServerReport report;
            try {
                report = ServerReport.parse(response.header(LabHttp.ECHO_HEADER));
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage(), e);
            }
            byte[] echo = response.body();
            String requestSha = Digests.sha256(request);
            boolean verified = report.bytes() == request.length && requestSha.equals(report.sha256())
                    && Arrays.equals(request, echo);
            boolean viaSidecar = inbound
                    ? ENVOY_INBOUND_SOURCES.contains(report.peer().address())
                    : !report.peer().equals(client);
            return new LedgerEntry(id, requestId, kind, family.label(), destination.getPort(), client,
                    Endpoint.of(destination), report.role(), report.local(), report.peer(),
                    request.length, requestSha, echo.length, Digests.sha256(echo), verified, viaSidecar);
        }
    }

    /** The mesh's identity, loaded on the first inbound call (outbound calls need no TLS of their own). */
    private MeshTls meshTls() throws IOException {
        if (meshTls == null) {
            meshTls = MeshTls.load(run.tlsDirectory(), LabTopology.MESH_IDENTITY, run.keyLog());
        }
        return meshTls;
    }
}
